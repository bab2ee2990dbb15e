import JSONStream

/// How an input file is laid out (`--format`).
public enum InputFormat: String, Sendable, CaseIterable {
    case auto, lines, csv, ndjson, json

    /// The format an `auto` input has: by extension first (`.csv`, `.ndjson`, `.jsonl`,
    /// `.json`); then CSV when the first non-blank line is a header naming an ID column (`id`,
    /// `offerId`, `offer_id` or `idColumn`'s name, any case, among its comma-separated fields);
    /// then lines for a `.txt` file; else by the first non-blank byte (`[` a JSON document;
    /// `{` NDJSON when the first line is a whole object that is not the API's envelope, else a
    /// JSON document; `"` NDJSON; anything else lines).
    static func detect(path: String, input: ByteInput, idColumn: String? = nil) throws(InputError) -> InputFormat {
        let lowered = path.lowercased()
        if lowered.hasSuffix(".csv") { return .csv }
        if lowered.hasSuffix(".ndjson") || lowered.hasSuffix(".jsonl") { return .ndjson }
        if lowered.hasSuffix(".json") { return .json }
        if try startsWithCSVHeader(input, idColumn: idColumn) { return .csv }
        return lowered.hasSuffix(".txt") ? .lines : try sniff(input)
    }

    /// Whether the first non-blank line, split at commas, has a field naming an ID column.
    private static func startsWithCSVHeader(_ input: ByteInput, idColumn: String?) throws(InputError) -> Bool {
        var names = CSVDecoder.defaultColumnNames
        if let idColumn, Int(idColumn) == nil { names.append(idColumn.lowercased()) }
        while true {
            let firstLine: [UInt8]? = input.withAvailableBytes { bytes in
                var start = bytes.startIndex
                if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { start += 3 }
                start = bytes[start...].firstIndex { ![0x20, 0x09, 0x0A, 0x0D].contains($0) } ?? bytes.endIndex
                guard let end = bytes[start...].firstIndex(of: 0x0A) else { return nil }
                return Array(bytes[start..<end])
            }
            let line: [UInt8]
            if let firstLine {
                line = firstLine
            } else if input.available < 1 << 16, try InputError.reading({ () throws(JSONError) in try input.fill() }) {
                continue
            } else {
                line = input.withAvailableBytes { Array($0.prefix(1 << 16)) }
            }
            return line.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false).contains { field in
                // As the CSV decoder reads a header name: unquoted when quoted whole, then trimmed.
                var name = field.last == 0x0D ? field.dropLast() : field
                if name.count >= 2, name.first == UInt8(ascii: "\""), name.last == UInt8(ascii: "\"") { name = name.dropFirst().dropLast() }
                return names.contains(String(decoding: name.trimmingASCIIWhitespace(), as: UTF8.self).lowercased())
            }
        }
    }

    private static func sniff(_ input: ByteInput) throws(InputError) -> InputFormat {
        var offset = 0
        while true {
            while let byte = input.peek(at: offset) {
                switch byte {
                case 0x20, 0x09, 0x0A, 0x0D: offset += 1
                case 0xEF where offset == 0 && input.peek(at: 1) == 0xBB: offset += 3  // BOM
                case UInt8(ascii: "["): return .json
                case UInt8(ascii: "\""): return .ndjson
                case UInt8(ascii: "{"): return try objectFormat(input, from: offset)
                default: return .lines
                }
            }
            guard try InputError.reading({ () throws(JSONError) in try input.fill() }) else { return .lines }
        }
    }

    /// One object per line (NDJSON), or one document (possibly pretty-printed)?
    private static func objectFormat(_ input: ByteInput, from offset: Int) throws(InputError) -> InputFormat {
        while true {
            let firstLine: [UInt8]? = input.withAvailableBytes { bytes in
                guard let newline = bytes[offset...].firstIndex(of: 0x0A) else { return nil }
                return Array(bytes[offset..<newline])
            }
            if let firstLine {
                guard let value = try? JSONValue.parse(firstLine) else { return .json }
                return value["result"]?.kind == .array ? .json : .ndjson
            }
            if input.available > 1 << 20 { return .json }
            guard try InputError.reading({ () throws(JSONError) in try input.fill() }) else {
                // A single line: a document if it is the envelope, else one NDJSON object.
                let value = input.withAvailableBytes { try? JSONValue.parse(UnsafeRawBufferPointer(rebasing: $0[offset...])) }
                return value?["result"]?.kind == .array ? .json : .ndjson
            }
        }
    }
}
