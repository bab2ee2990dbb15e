import JSONStream

/// The records of one record log, as `--sink ndjson:…` or `--sink csv:…` wrote it, one line
/// (or CSV row) at a time: what `--resume`, `report` and `verify` read, by one rule. The format
/// is told as `--format auto` tells an input's: by the extension, else by a first line that is
/// a CSV header naming `offerId`.
public final class RecordLogReader {
    /// One line or row of the log.
    public struct Entry {
        /// Its line in the log (a CSV row's first line).
        public let line: Int
        /// Its record; `nil` when it holds none: cut short (a crash's torn last line), not
        /// JSON, or without an `offerId` and a known `outcome`.
        public let record: CancelRecord.Logged?
    }

    private enum Rows {
        case ndjson(NDJSONReader)
        case csv(CSVDecoder, [CancelRecord.Selection.Column])
    }

    private let rows: Rows
    private let selection: CancelRecord.Selection

    /// Reads `input`, the log at `path` (`-` for stdin), for the fields in `selection`.
    /// - Throws: ``InputError`` when it cannot be read, or is CSV without `offerId` and
    ///   `outcome` columns.
    public init(input: ByteInput, path: String, reading selection: CancelRecord.Selection) throws(InputError) {
        self.selection = selection
        guard try InputFormat.detect(path: path == "-" ? "" : path, input: input, idColumn: "offerId") == .csv else {
            rows = .ndjson(NDJSONReader(input: input, maxLineLength: 16 * 1024 * 1024))
            return
        }
        let decoder = try CSVDecoder(input: input, source: path, idColumn: "offerId", maxRecordLength: 16 * 1024 * 1024)
        guard decoder.header.isEmpty || decoder.header.contains("outcome") else {
            throw InputError("\(path): no outcome column in the CSV header (\(decoder.header.joined(separator: ", "))): not a record log of --sink csv:…")
        }
        rows = .csv(decoder, selection.columns(in: decoder.header))
    }

    /// The next line or row; `nil` at the end of the log.
    /// - Throws: ``InputError`` when the log cannot be read further.
    public func next() throws(InputError) -> Entry? {
        switch rows {
        case .ndjson(let reader):
            guard let item = try InputError.reading({ () throws(JSONError) in try reader.next() }) else { return nil }
            return Entry(line: item.line, record: (try? item.value.get()).flatMap { CancelRecord.Logged($0, reading: selection) })
        case .csv(let decoder, let columns):
            guard let row = try decoder.nextRow() else { return nil }
            return Entry(line: row.line, record: row.whole ? CancelRecord.Logged(cells: row.fields, columns: columns) : nil)
        }
    }
}
