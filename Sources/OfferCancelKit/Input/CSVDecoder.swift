import JSONStream

/// `--format csv`: RFC 4180 records (quoted fields with commas, doubled quotes and
/// newlines inside), a header row unless `--no-header`, and one column that holds the IDs.
///
/// The column is `--id-column` (a header name, or a 1-based number), else the first header
/// named `id`, `offerId` or `offer_id` (any case); without a header, `--id-column N` or the
/// first column. A first row whose numbered ID cell is itself a valid ID is data, not a header
/// (said in ``note``): every row of a headerless file is an item. A record is held whole only
/// up to `maxRecordLength` bytes; a longer one becomes an invalid item, skipped through.
final class CSVDecoder: RawItemDecoder {
    private let input: ByteInput
    private let maxRecordLength: Int
    private let source: String
    private var line = 1
    private var isFirstRecord = true
    /// The column holding IDs; `nil` only for an empty file (no header, no items).
    private(set) var idColumn: Int?
    private(set) var header: [String] = []
    /// The first row, when it is data (no header): handed out before the rest.
    private var firstDataRow: Record?
    /// What the person running the tool should know about how the file was read.
    private(set) var note: String?

    static let defaultColumnNames = ["id", "offerid", "offer_id"]

    /// Reads the header (unless `noHeader`) and settles the ID column; throws if the column is
    /// not there. `isID` tells a first row of data from a header.
    init(input: ByteInput, source: String, idColumn requested: String?, noHeader: Bool = false, isID: (String) -> Bool = { _ in false },
         maxRecordLength: Int) throws(InputError) {
        self.input = input
        self.source = source
        self.maxRecordLength = maxRecordLength
        var first = try readRecord()
        while let record = first, record.fields.count == 1, record.fields[0].isEmpty { first = try readRecord() }  // blank lines
        guard let firstRecord = first else { return }
        if noHeader {
            guard let number = Int(requested ?? "1"), number >= 1 else {
                throw InputError("\(source): --no-header takes --id-column as a column number (1 is the first), not \"\(requested ?? "")\"")
            }
            idColumn = number - 1
            firstDataRow = firstRecord
            return
        }
        header = firstRecord.fields.map { String(decoding: $0[...].trimmingASCIIWhitespace(), as: UTF8.self) }
        let column = try Self.resolveColumn(requested, header: header, source: source)
        idColumn = column
        if let requested, Int(requested) != nil, isID(header[column]) {
            note = "\(source): the first row's column \(column + 1) is an offer ID, so the file has no header: the row is read as data (--no-header says so)"
            header = []
            firstDataRow = firstRecord
        }
    }

    static func resolveColumn(_ requested: String?, header: [String], source: String) throws(InputError) -> Int {
        if let requested {
            if let number = Int(requested) {
                guard number >= 1, number <= header.count else {
                    throw InputError("\(source): --id-column \(number) is out of range; the header has \(header.count) columns")
                }
                return number - 1
            }
            guard let index = header.firstIndex(of: requested) ?? header.firstIndex(where: { $0.lowercased() == requested.lowercased() }) else {
                throw InputError("\(source): no column named \"\(requested)\" in the CSV header (\(header.joined(separator: ", ")))")
            }
            return index
        }
        guard let index = header.firstIndex(where: { defaultColumnNames.contains($0.lowercased()) }) else {
            throw InputError("\(source): the CSV header (\(header.joined(separator: ", "))) has no id, offerId or offer_id column; name one with --id-column, "
                + "or, for a file without a header, say --no-header --id-column N")
        }
        return index
    }

    /// The next row whole, for a reader of every column (a record log), with whether it was
    /// read whole (not cut short by the end of the input, not longer than the limit); blank
    /// lines are passed over. `nil` at the end of the input.
    func nextRow() throws(InputError) -> (line: Int, fields: [[UInt8]], whole: Bool)? {
        if let row = firstDataRow {
            firstDataRow = nil
            return (row.line, row.fields, !row.tooLong && !row.unterminated)
        }
        while let record = try readRecord() {
            if record.fields.count == 1 && record.fields[0].isEmpty { continue }
            return (record.line, record.fields, !record.tooLong && !record.unterminated)
        }
        return nil
    }

    func next() throws(InputError) -> RawItem? {
        guard let idColumn else { return nil }
        if let row = firstDataRow {
            firstDataRow = nil
            if let item = item(from: row, idColumn: idColumn) { return item }
        }
        while let record = try readRecord() {
            if let item = item(from: record, idColumn: idColumn) { return item }
        }
        return nil
    }

    /// The item of one record; `nil` for a blank line.
    private func item(from record: Record, idColumn: Int) -> RawItem? {
        if record.tooLong {
            return .invalid(line: record.line, raw: "", "CSV record longer than \(maxRecordLength) bytes")
        }
        if record.unterminated {
            return .invalid(line: record.line, raw: String(displaying: record.fields.last ?? []), "unterminated quoted field at end of input")
        }
        if record.fields.count == 1 && record.fields[0].isEmpty { return nil }  // blank line
        guard idColumn < record.fields.count else {
            let name = idColumn < header.count ? " (\(header[idColumn]))" : ""
            return .invalid(line: record.line, raw: "", "CSV row has \(record.fields.count) fields, no column \(idColumn + 1)\(name)")
        }
        let field = record.fields[idColumn][...].trimmingASCIIWhitespace()
        guard let text = String(validating: field, as: UTF8.self) else {
            return .invalid(line: record.line, raw: String(displaying: field), "invalid UTF-8")
        }
        return RawItem(line: record.line, raw: text)
    }

    private struct Record {
        var line: Int
        var fields: [[UInt8]] = [[]]
        var tooLong = false
        var unterminated = false
    }

    /// Reads one record; `nil` at end of input.
    private func readRecord() throws(InputError) -> Record? {
        if input.available == 0, try !InputError.reading({ () throws(JSONError) in try input.fill() }) { return nil }
        if isFirstRecord {
            isFirstRecord = false
            if input.available < 3 { _ = try InputError.reading { () throws(JSONError) in try input.fill() } }
            if input.peek(at: 0) == 0xEF, input.peek(at: 1) == 0xBB, input.peek(at: 2) == 0xBF { input.consume(3) }
        }
        var record = Record(line: line)
        var size = 0
        var inQuotes = false
        var fieldStarted = false  // a quote only opens a quoted field at the field's start
        while true {
            guard let byte = input.peek() else {
                if try !InputError.reading({ () throws(JSONError) in try input.fill() }) {
                    record.unterminated = inQuotes
                    return record
                }
                continue
            }
            if inQuotes && byte == UInt8(ascii: "\"") {
                // Need the next byte to tell a doubled quote from the closing one.
                if input.available < 2, try InputError.reading({ () throws(JSONError) in try input.fill() }) { continue }
                input.consume(1)
                if input.peek() == UInt8(ascii: "\"") {
                    input.consume(1)
                    append(UInt8(ascii: "\""), to: &record, size: &size)
                } else {
                    inQuotes = false
                }
                continue
            }
            input.consume(1)
            if inQuotes {
                if byte == 0x0A { line += 1 }
                append(byte, to: &record, size: &size)
                continue
            }
            switch byte {
            case UInt8(ascii: ","):
                if !record.tooLong { record.fields.append([]) }
                fieldStarted = false
            case 0x0A:
                line += 1
                if let last = record.fields.last?.last, last == 0x0D, !record.tooLong {
                    record.fields[record.fields.count - 1].removeLast()
                }
                return record
            case UInt8(ascii: "\"") where !fieldStarted:
                inQuotes = true
                fieldStarted = true
            default:
                fieldStarted = true
                append(byte, to: &record, size: &size)
            }
        }
    }

    private func append(_ byte: UInt8, to record: inout Record, size: inout Int) {
        size += 1
        if size > maxRecordLength {
            if !record.tooLong { record.fields = [[]] }
            record.tooLong = true
            return
        }
        record.fields[record.fields.count - 1].append(byte)
    }
}
