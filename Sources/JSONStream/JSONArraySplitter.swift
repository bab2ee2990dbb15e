/// The elements of one array inside a JSON document that arrives in chunks (an HTTP body):
/// `{"success": true, "result": [ e1, e2, … ]}` yields e1, e2, … each as soon as its last byte
/// has arrived, so a list of any length is never held whole.
///
/// Only the bytes of the element being read are kept. The rest of the document is scanned,
/// not parsed: it is checked to nest properly and to end, nothing more — except one other
/// top-level member, ``captureKey``, whose object or array is kept whole (`pagination`).
public struct JSONArraySplitter {
    /// The top-level member whose array is split (`result`), or `nil` for a top-level array.
    public let arrayKey: String?
    /// A top-level member kept beside the split array, before or after it, when its value is
    /// an object or an array.
    public let captureKey: String?
    /// That member's value, once the document held it whole.
    public private(set) var captured: JSONValue?
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
    /// Inside the captured member's value, and its bytes so far.
    private var capturing = false
    private var capture: [UInt8] = []

    public init(arrayKey: String? = "result", captureKey: String? = nil, maxElementBytes: Int = 16 * 1024 * 1024) {
        self.arrayKey = arrayKey
        self.captureKey = captureKey
        self.maxElementBytes = maxElementBytes
    }

    private var elementDepth: Int { arrayKey == nil ? 1 : 2 }

    /// Reads `bytes`, calling `body` with each element completed in them.
    public mutating func feed(_ bytes: some Sequence<UInt8>, _ body: (JSONValue) throws -> Void) throws {
        if try bytes.withContiguousStorageIfAvailable({ try feed(UnsafeRawBufferPointer($0), body) }) == nil {
            let copy = Array(bytes)
            try copy.withUnsafeBytes { try feed($0, body) }
        }
    }

    /// The scan itself, over contiguous bytes. An element's bytes are copied a run at a time —
    /// from its first byte (or the chunk's) to its end (or the chunk's) — never byte by byte.
    private mutating func feed(_ bytes: UnsafeRawBufferPointer, _ body: (JSONValue) throws -> Void) throws {
        let end = bytes.count
        /// Where the part of the current element that lies in this chunk began.
        var run: Int? = inArray && !element.isEmpty ? 0 : nil
        /// Where the part of the captured value that lies in this chunk began.
        var captureRun: Int? = capturing ? 0 : nil
        var index = 0
        defer { offset += index }
        while index < end {
            let byte = bytes[index]
            if inString {
                if !escaped, byte == UInt8(ascii: "\"") {
                    inString = false
                    readingString = false
                } else if escaped {
                    escaped = false
                    if readingString { string.append(byte) }
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                    if readingString { string.append(byte) }
                } else if readingString {
                    string.append(byte)
                } else {
                    // Skip to the next quote or backslash: most of an element is string bytes.
                    while index + 1 < end, bytes[index + 1] != UInt8(ascii: "\""), bytes[index + 1] != UInt8(ascii: "\\") { index += 1 }
                }
                index += 1
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
                if inArray {
                    if run == nil { run = index }
                } else if depth == 1 {
                    readingString = true
                    string.removeAll(keepingCapacity: true)
                }
            case UInt8(ascii: ":"):
                if !inArray, depth == 1 { lastKey = string }
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                if !inArray, !sawArray, byte == UInt8(ascii: "["), isArrayStart {
                    inArray = true
                    sawArray = true
                    depth += 1
                    index += 1
                    continue
                }
                if inArray, run == nil { run = index }
                if !inArray, !capturing, depth == 1, let captureKey, lastKey.map({ $0.elementsEqual(captureKey.utf8) }) == true {
                    capturing = true
                    captureRun = index
                    capture.removeAll()
                }
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                guard depth > 0 else { throw error("a closing bracket with nothing open", at: index) }
                depth -= 1
                if capturing, depth == 1, let start = captureRun {
                    try keepCapture(bytes, from: start, to: index + 1)
                    captureRun = nil
                    capturing = false
                    do { captured = try JSONValue.parse(capture) } catch { throw JSONError(kind: error.kind, text: error.text, position: offset + index) }
                } else if inArray, depth == elementDepth - 1 {
                    // The split array closes: a scalar in progress ends here.
                    try keep(bytes, from: run, to: index)
                    run = nil
                    try emit(body, at: index)
                    inArray = false
                } else if inArray, depth == elementDepth {
                    try keep(bytes, from: run, to: index + 1)
                    run = nil
                    try emit(body, at: index)
                }
            case UInt8(ascii: ","):
                if inArray, depth == elementDepth {
                    try keep(bytes, from: run, to: index)
                    run = nil
                    try emit(body, at: index)
                }
            case 0x20, 0x09, 0x0A, 0x0D:
                break
            default:
                if inArray, run == nil { run = index }
            }
            if lastKey != nil, depth == 1, byte == UInt8(ascii: ",") { lastKey = nil }
            index += 1
        }
        try keep(bytes, from: run, to: end)
        if let captureRun { try keepCapture(bytes, from: captureRun, to: end) }
    }

    /// Adds `bytes[from..<to]` to the captured value.
    private mutating func keepCapture(_ bytes: UnsafeRawBufferPointer, from: Int, to: Int) throws(JSONError) {
        guard from < to else { return }
        guard capture.count + (to - from) <= maxElementBytes else { throw error("\"\(captureKey ?? "")\" is larger than \(maxElementBytes) bytes", at: to) }
        capture.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[from..<to]))
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

    /// Adds `bytes[from..<to]` to the element being read.
    private mutating func keep(_ bytes: UnsafeRawBufferPointer, from: Int?, to: Int) throws(JSONError) {
        guard let from, from < to else { return }
        guard element.count + (to - from) <= maxElementBytes else { throw error("an element is larger than \(maxElementBytes) bytes", at: to) }
        element.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[from..<to]))
    }

    private mutating func emit(_ body: (JSONValue) throws -> Void, at index: Int) throws {
        guard !element.isEmpty else { return }
        let value: JSONValue
        do { value = try JSONValue.parse(element) } catch { throw JSONError(kind: error.kind, text: error.text, position: offset + index) }
        element.removeAll(keepingCapacity: element.count < 1 << 20)
        count += 1
        try body(value)
    }

    private func error(_ text: String, at index: Int = 0) -> JSONError {
        JSONError(kind: .syntax, text: text, position: offset + index)
    }
}
