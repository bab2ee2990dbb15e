import JSONStream

/// `--format lines`: one ID per line; blank lines and `#` comments skipped; whitespace
/// trimmed; CRLF and a leading UTF-8 BOM accepted.
final class LinesDecoder: RawItemDecoder {
    private let lines: LineReader

    init(input: ByteInput, maxLineLength: Int) {
        lines = LineReader(input: input, maxLength: maxLineLength)
    }

    func next() throws(InputError) -> RawItem? {
        while let line = try InputError.reading({ () throws(JSONError) in try lines.next() }) {
            switch line.content {
            case .tooLong(let length):
                return .invalid(line: line.number, raw: "", "line of \(length) bytes is longer than \(lines.maxLength)")
            case .bytes(let bytes):
                let content = line.number == 1 ? UTF8BOM.strip(bytes) : bytes[...]
                let trimmed = content.trimmingASCIIWhitespace()
                if trimmed.isEmpty || trimmed.first == UInt8(ascii: "#") { continue }
                guard let text = String(validating: trimmed, as: UTF8.self) else {
                    return .invalid(line: line.number, raw: String(displaying: trimmed), "invalid UTF-8")
                }
                return RawItem(line: line.number, raw: text)
            }
        }
        return nil
    }
}

extension InputError {
    /// Runs a JSONStream read, turning its failure into an input error.
    static func reading<T>(_ body: () throws(JSONError) -> T) throws(InputError) -> T {
        do { return try body() } catch { throw InputError(error.description) }
    }
}

extension ArraySlice<UInt8> {
    func trimmingASCIIWhitespace() -> ArraySlice<UInt8> {
        let isSpace = { (byte: UInt8) in byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A || byte == 0x0B || byte == 0x0C }
        var slice = self
        while let first = slice.first, isSpace(first) { slice = slice.dropFirst() }
        while let last = slice.last, isSpace(last) { slice = slice.dropLast() }
        return slice
    }
}
