/// Reads newline-delimited JSON: one value per line, blank lines skipped.
///
/// A malformed line yields an error for that line (with its line and column) and reading
/// resumes at the next line, so one bad line never hides the rest of the file.
public final class NDJSONReader {
    /// One non-blank line's outcome.
    public struct Item: Sendable {
        public var line: Int
        public var value: Result<JSONValue, JSONError>
    }

    private let lines: LineReader

    public init(input: ByteInput, maxLineLength: Int = 64 * 1024) {
        lines = LineReader(input: input, maxLength: maxLineLength)
    }

    /// The largest number of bytes buffered at once so far.
    public var highWaterMark: Int { lines.input.highWaterMark }

    public func next() throws(JSONError) -> Item? {
        while let line = try lines.next() {
            switch line.content {
            case .tooLong(let length):
                let error = JSONError(kind: .valueTooLarge, text: "line of \(length) bytes is longer than \(lines.maxLength)", line: line.number, column: 1)
                return Item(line: line.number, value: .failure(error))
            case .bytes(let bytes):
                if bytes.allSatisfy(Self.isWhitespace) { continue }
                let origin = TextPosition(offset: 0, line: line.number, column: 1)
                let value = Result { () throws(JSONError) in try JSONValue.parse(bytes) }
                    .mapError { $0.relocated(to: origin) }
                return Item(line: line.number, value: value)
            }
        }
        return nil
    }

    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A
    }
}

extension JSONError {
    /// The same error with line and column counted from `origin` instead of from 1:1.
    func relocated(to origin: TextPosition) -> JSONError {
        var copy = self
        let located = origin.advanced(line: line, column: column)
        copy.line = located.line
        copy.column = located.column
        copy.position += origin.offset
        return copy
    }
}
