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

    /// Appends `value` as compact JSON.
    public mutating func append(_ value: JSONValue) {
        let needed = json_dumpb(value.raw, nil, 0, dumpFlags)
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: needed))
        let written = bytes.withUnsafeMutableBytes { raw in
            json_dumpb(value.raw, raw.baseAddress!.advanced(by: start).assumingMemoryBound(to: CChar.self), needed, dumpFlags)
        }
        bytes.removeLast(needed - min(written, needed))
    }
}
