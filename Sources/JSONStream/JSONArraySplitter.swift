/// The elements of one array inside a JSON document that arrives in chunks (an HTTP body):
/// `{"success": true, "result": [ e1, e2, … ]}` yields e1, e2, … each as soon as its last byte
/// has arrived, so a list of any length is never held whole.
///
/// Only the bytes of the element being read are kept. The rest of the document is scanned,
/// not parsed: it is checked to nest properly and to end, nothing more.
public struct JSONArraySplitter {
    /// The top-level member whose array is split (`result`), or `nil` for a top-level array.
    public let arrayKey: String?
    /// The largest element accepted.
    public let maxElementBytes: Int
    /// Elements handed out so far.
    public private(set) var count = 0
    /// Bytes fed so far.
    public private(set) var offset = 0

    private var depth = 0
    private var inString = false
    private var escaped = false
    /// Depth-1 strings: the last one read, which is a key when a `:` follows.
    private var string: [UInt8] = []
    private var lastKey: [UInt8]?
    private var readingString = false
    /// Inside the array being split (its elements are at depth 2, or 1 for a top-level array).
    private var inArray = false
    private var sawArray = false
    private var element: [UInt8] = []

    public init(arrayKey: String? = "result", maxElementBytes: Int = 16 * 1024 * 1024) {
        self.arrayKey = arrayKey
        self.maxElementBytes = maxElementBytes
    }

    private var elementDepth: Int { arrayKey == nil ? 1 : 2 }

    /// Reads `bytes`, calling `body` with each element completed in them.
    public mutating func feed(_ bytes: some Sequence<UInt8>, _ body: (JSONValue) throws -> Void) throws {
        for byte in bytes {
            offset += 1
            if inString {
                if inArray { try keep(byte) } else if readingString { string.append(byte) }
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") {
                    inString = false
                    if readingString { string.removeLast(); readingString = false }
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
                if inArray {
                    try keep(byte)
                } else if depth == 1 {
                    readingString = true
                    string.removeAll(keepingCapacity: true)
                }
            case UInt8(ascii: ":"):
                if inArray { try keep(byte) } else if depth == 1 { lastKey = string }
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                if !inArray, !sawArray, byte == UInt8(ascii: "["), isArrayStart {
                    inArray = true
                    sawArray = true
                    depth += 1
                    continue
                }
                if inArray { try keep(byte) }
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                guard depth > 0 else { throw error("a closing bracket with nothing open") }
                depth -= 1
                if inArray, depth == elementDepth - 1 {
                    // The split array closes: a scalar in progress ends here.
                    try emit(body)
                    inArray = false
                } else if inArray {
                    try keep(byte)
                    if depth == elementDepth { try emit(body) }
                }
            case UInt8(ascii: ","):
                if inArray {
                    if depth == elementDepth { try emit(body) } else { try keep(byte) }
                }
            case 0x20, 0x09, 0x0A, 0x0D:
                if inArray, !element.isEmpty { try keep(byte) }
            default:
                if inArray { try keep(byte) }
            }
            if lastKey != nil, depth == 1, byte == UInt8(ascii: ",") { lastKey = nil }
        }
    }

    /// Checks the document ended: everything opened was closed and the array was found.
    /// - Throws: `JSONError` saying how many elements were read before the end came.
    public func finish() throws(JSONError) {
        guard depth == 0, !inString else { throw error("the reply ended after \(count) elements, inside the \(inArray ? "array" : "document")") }
        guard sawArray else { throw error("the reply has no \(arrayKey.map { "\"\($0)\" " } ?? "")array") }
    }

    /// Whether a `[` here opens the array to split.
    private var isArrayStart: Bool {
        guard let arrayKey else { return depth == 0 }
        return depth == 1 && lastKey.map { $0.elementsEqual(arrayKey.utf8) } == true
    }

    private mutating func keep(_ byte: UInt8) throws(JSONError) {
        guard element.count < maxElementBytes else { throw error("an element is larger than \(maxElementBytes) bytes") }
        element.append(byte)
    }

    private mutating func emit(_ body: (JSONValue) throws -> Void) throws {
        guard !element.isEmpty else { return }
        let value = try JSONValue.parse(element)
        element.removeAll(keepingCapacity: element.count < 1 << 20)
        count += 1
        try body(value)
    }

    private func error(_ text: String) -> JSONError {
        JSONError(kind: .syntax, text: text, position: offset)
    }
}
