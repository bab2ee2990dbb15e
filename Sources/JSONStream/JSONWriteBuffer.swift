import CJansson

/// A growable byte buffer that JSON is serialised into, kept and reused between writes
/// so the steady state allocates nothing.
public struct JSONWriteBuffer: Sendable {
    public private(set) var bytes: [UInt8]

    /// Compact, any value at top level, UTF-8 kept as is (no `JSON_ENSURE_ASCII`).
    static let baseFlags = size_t(JSON_COMPACT | JSON_ENCODE_ANY)

    /// Significant digits of reals (1…17). 17 round-trips every double; 15 prints what people
    /// wrote (`19.011`, not `19.010999999999999`) and is exact for decimals of ≤ 15 digits.
    public let realPrecision: Int
    private let dumpFlags: size_t

    public init(capacity: Int = 4096, realPrecision: Int = 17) {
        bytes = []
        bytes.reserveCapacity(capacity)
        self.realPrecision = min(max(realPrecision, 1), 17)
        dumpFlags = Self.baseFlags | size_t((self.realPrecision & 0x1F) << 11)
    }

    public var count: Int { bytes.count }

    /// Empties the buffer, keeping its storage.
    public mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    public mutating func append(_ byte: UInt8) { bytes.append(byte) }

    public mutating func append(contentsOf other: some Sequence<UInt8>) { bytes.append(contentsOf: other) }

    /// Appends `text` as a JSON string, escaped byte for byte as jansson dumps it with this
    /// buffer's flags: `"`, `\\` and the C0 controls (`\n`, `\u001F`…) escaped, UTF-8 kept.
    public mutating func appendString(_ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            bytes.append(UInt8(ascii: "\""))
            var start = 0
            for (index, byte) in utf8.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
                appendEscape(byte)
                start = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
            bytes.append(UInt8(ascii: "\""))
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)

    private mutating func appendEscape(_ byte: UInt8) {
        bytes.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
        case 0x08: bytes.append(UInt8(ascii: "b"))
        case 0x0C: bytes.append(UInt8(ascii: "f"))
        case 0x0A: bytes.append(UInt8(ascii: "n"))
        case 0x0D: bytes.append(UInt8(ascii: "r"))
        case 0x09: bytes.append(UInt8(ascii: "t"))
        default:
            bytes.append(contentsOf: "u00".utf8)
            bytes.append(Self.hexDigits[Int(byte >> 4)])
            bytes.append(Self.hexDigits[Int(byte & 0xF)])
        }
    }

    /// Appends `value` in decimal.
    public mutating func appendInteger(_ value: Int) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        let start = bytes.count
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        bytes[start...].reverse()
    }

    /// Appends `value` as jansson writes a real at this buffer's precision (`8.0`, `1e20`);
    /// `null` when it is not finite, which JSON cannot carry.
    public mutating func appendReal(_ value: Double) {
        guard let real = json_real(value) else { return bytes.append(contentsOf: "null".utf8) }
        defer { cjansson_decref(real) }
        appendDump(of: real)
    }

    /// Appends `true` or `false`.
    public mutating func appendBool(_ value: Bool) { bytes.append(contentsOf: (value ? "true" : "false").utf8) }

    /// Appends `null`.
    public mutating func appendNull() { bytes.append(contentsOf: "null".utf8) }

    /// Appends `value` as compact JSON.
    public mutating func append(_ value: JSONValue) { appendDump(of: value.raw) }

    private mutating func appendDump(of value: UnsafeMutablePointer<json_t>) {
        let needed = json_dumpb(value, nil, 0, dumpFlags)
        guard needed > 0 else { return }
        // Dumped into an array of its own, then copied whole: appending a generic sequence
        // (`repeatElement`) would go byte by byte wherever the call is not specialised.
        let dumped = [UInt8](unsafeUninitializedCapacity: needed) { buffer, count in
            let start = UnsafeMutableRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
            count = min(json_dumpb(value, start, needed, dumpFlags), needed)
        }
        bytes.append(contentsOf: dumped)
    }
}
