/// A bearer token or a client secret. Its text never shows: `description`, `debugDescription`
/// and the mirror all say `<redacted>`, so a `print`, a log line, an error or a debug dump of
/// anything holding one leaks nothing. Only the client reads it, to write a header or a form.
public struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable,
    ExpressibleByStringLiteral {
    /// The text; internal to the client.
    let value: String

    public init(_ value: String) { self.value = value }

    public init(stringLiteral value: String) { self.value = value }

    /// `value`, unless it holds whitespace or a control character (a CR from a Windows file, a
    /// newline): such a header would be refused, and the refusal could quote it. `name` says
    /// where it came from, for the message; the value itself is never in the message.
    public init(validating value: String, name: String) throws(MarketClientError) {
        guard !value.isEmpty else { throw .configuration("\(name) is empty") }
        if let bad = value.unicodeScalars.first(where: { $0.value < 0x21 || $0.value == 0x7F || $0.properties.isWhitespace }) {
            let what = bad == "\r" ? "a carriage return (a file saved with CRLF?)" : bad.properties.isWhitespace ? "whitespace" : "a control character"
            throw .configuration("\(name) contains \(what): remove it (the value is not shown)")
        }
        self.value = value
    }

    public var isEmpty: Bool { value.isEmpty }
    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
