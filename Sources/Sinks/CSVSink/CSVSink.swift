import OfferCancelKit

/// `csv[:PATH|+PATH|-]`: a header row, then one RFC 4180 row per record (`+PATH` appends
/// rows, without a second header when the file already has content; a file whose header is
/// not this run's columns is refused before the run starts).
///
/// Columns are ``CancelRecord/fieldNames`` in order, or the subset `--csv-columns` names, in
/// its order. Fields holding a comma, quote, CR or LF — or leading/trailing spaces — are
/// quoted, with quotes doubled. Rows end with CRLF as RFC 4180 says. Each row — each batch of
/// rows, in one `write(2)` — reaches the kernel before `write` returns.
public struct CSVSink: OfferSink {
    private let output: SinkOutput
    public let columns: [String]
    private let fields: [CancelRecord.Field]
    private var row: [UInt8] = []

    /// Checks the columns and claims `target` in `context`; the file is made by `open`.
    /// Throws ``SinkSpecError`` for an unknown column or a target the run cannot use.
    public init(target: String?, columns: [String]? = nil, context: SinkContext = SinkContext()) throws {
        let columns = columns ?? CancelRecord.fieldNames
        fields = try columns.map { name in
            guard let field = CancelRecord.field(named: name) else {
                throw SinkSpecError("csv: unknown column \"\(name)\"; columns are \(CancelRecord.fieldNames.joined(separator: ","))")
            }
            return field
        }
        guard !columns.isEmpty else { throw SinkSpecError("csv: --csv-columns names no column") }
        self.columns = columns
        output = try SinkOutput(target: target, scheme: "csv", context: context)
        if let header = output.existingFirstLine(), header != Array(Self.encode(columns).dropLast(2)) {
            throw Self.otherHeader(header, path: output.name)
        }
    }

    /// Rows under another header would be read as the wrong columns: say which columns append.
    private static func otherHeader(_ header: [UInt8], path: String) -> SinkSpecError {
        let text = String(decoding: header.prefix(2_000), as: UTF8.self)
        let names = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let hint = names.allSatisfy { CancelRecord.field(named: $0) != nil }
            ? "append with --csv-columns \(text), or write a new file"
            : "its first line is not a header this sink writes; write a new file"
        return SinkSpecError("csv:+\(path): the file's columns are not this run's; \(hint)")
    }

    /// Every row is a record.
    public var keepsRecords: Bool { true }

    public mutating func open(_ run: RunInfo) async throws {
        try output.open()
        if !output.continuesExistingFile { try await writeRow(columns) }
    }

    public mutating func write(_ record: CancelRecord) async throws {
        try await write(contentsOf: [record])
    }

    /// The batch's rows in one write.
    public mutating func write(contentsOf records: [CancelRecord]) async throws {
        row.removeAll(keepingCapacity: true)
        for record in records { Self.appendRow(fields.map { $0.value(record)?.text ?? "" }, to: &row) }
        try await output.write(row)
    }

    public func close(_ summary: RunSummary) async throws {}

    private mutating func writeRow(_ fields: [String]) async throws {
        row.removeAll(keepingCapacity: true)
        Self.appendRow(fields, to: &row)
        try await output.write(row)
    }

    /// Appends one RFC 4180 row to `row`: the fields, comma-separated and quoted where
    /// needed, then CRLF. Anything that writes CSV for people (`list --output csv`) uses it.
    public static func appendRow(_ fields: [String], to row: inout [UInt8]) {
        for (index, field) in fields.enumerated() {
            if index > 0 { row.append(UInt8(ascii: ",")) }
            appendField(field, to: &row)
        }
        row.append(contentsOf: [0x0D, 0x0A])
    }

    static func encode(_ fields: [String]) -> [UInt8] {
        var row: [UInt8] = []
        appendRow(fields, to: &row)
        return row
    }

    /// Appends `field`, quoted when RFC 4180 (or a spreadsheet's trimming) requires it.
    static func appendField(_ field: String, to row: inout [UInt8]) {
        let utf8 = field.utf8
        let needsQuotes = utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0D || $0 == 0x0A }
            || utf8.first == UInt8(ascii: " ") || utf8.last == UInt8(ascii: " ")
        guard needsQuotes else {
            row.append(contentsOf: utf8)
            return
        }
        row.append(UInt8(ascii: "\""))
        for byte in utf8 {
            if byte == UInt8(ascii: "\"") { row.append(byte) }
            row.append(byte)
        }
        row.append(UInt8(ascii: "\""))
    }

    /// The option that picks and orders the columns (`--csv-columns`).
    public static let columnsOption = "csv.columns"

    /// Adds the `csv` scheme.
    public static func register(in registry: inout SinkRegistry) {
        registry.register("csv", targetUsage: "PATH|+PATH|-", help: "a spreadsheet: header row, RFC 4180 quoting (--csv-columns picks columns)",
                          options: [.init(columnsOption, .list, help: "the columns, comma-separated, in order (--csv-columns)")]) { spec, context in
            try CSVSink(target: spec.target, columns: context.list(columnsOption), context: context)
        }
    }
}
