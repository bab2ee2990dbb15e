import CJansson

/// A failure to read or write JSON, carrying what jansson said and where.
///
/// `line` and `column` are 1-based and count from the start of the whole input a
/// reader was given (not from the start of the value being parsed); `position` is the
/// byte offset from the same origin. For errors that are not about input text
/// (a value too deep, a write that failed) they are zero.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, in broad strokes, so callers can branch without parsing `text`.
    public enum Kind: Sendable, Equatable {
        /// The text is not valid JSON (includes a NUL inside a string).
        case syntax
        /// The input ended in the middle of a value.
        case truncated
        /// A single value is larger than the reader may buffer.
        case valueTooLarge
        /// Reading the underlying file descriptor failed (`errno` is in `text`).
        case io
        /// A value could not be encoded.
        case encoding
    }

    public var kind: Kind
    /// jansson's own message, or ours for errors jansson does not produce.
    public var text: String
    public var line: Int
    public var column: Int
    public var position: Int

    public init(kind: Kind, text: String, line: Int = 0, column: Int = 0, position: Int = 0) {
        self.kind = kind
        self.text = text
        self.line = line
        self.column = column
        self.position = position
    }

    /// Builds an error from jansson's report, shifting its coordinates by `origin`.
    init(_ error: json_error_t, origin: TextPosition = .start) {
        var error = error
        let text = withUnsafePointer(to: &error) { String(cString: cjansson_error_text($0)) }
        let code = json_error_code(&error)
        let located = origin.advanced(line: Int(error.line), column: Int(error.column))
        self.init(
            kind: code == json_error_premature_end_of_input ? .truncated : .syntax,
            text: text,
            line: located.line,
            column: located.column,
            position: origin.offset + max(Int(error.position), 0)
        )
    }

    public var description: String {
        line > 0 ? "\(text) at line \(line), column \(column)" : text
    }
}

/// A place in an input: byte offset plus 1-based line and column.
public struct TextPosition: Sendable, Equatable {
    public var offset: Int
    public var line: Int
    public var column: Int

    public static let start = TextPosition(offset: 0, line: 1, column: 1)

    /// The place `line`/`column` (jansson's 1-based coordinates relative to this one) denotes.
    func advanced(line relativeLine: Int, column relativeColumn: Int) -> TextPosition {
        guard relativeLine > 0 else { return self }
        if relativeLine == 1 {
            return TextPosition(offset: offset, line: line, column: column + max(relativeColumn, 1) - 1)
        }
        return TextPosition(offset: offset, line: line + relativeLine - 1, column: max(relativeColumn, 1))
    }

    /// Moves past `bytes`, counting newlines.
    mutating func advance(over bytes: UnsafeRawBufferPointer) {
        offset += bytes.count
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {  // count characters, not UTF-8 continuation bytes
                column += 1
            }
        }
    }
}
