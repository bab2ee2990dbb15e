import CJansson

/// A growable byte buffer that JSON is serialised into, kept and reused between writes
/// so the steady state allocates nothing.
public struct JSONWriteBuffer: Sendable {
    public private(set) var bytes: [UInt8]

    /// Flags for every dump: compact, any value at top level, UTF-8 kept as is
    /// (no `JSON_ENSURE_ASCII`), reals with enough digits to round-trip.
    static let dumpFlags = size_t(JSON_COMPACT | JSON_ENCODE_ANY | (17 << 11))

    public init(capacity: Int = 4096) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public var count: Int { bytes.count }

    /// Empties the buffer, keeping its storage.
    public mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    public mutating func append(_ byte: UInt8) { bytes.append(byte) }

    public mutating func append(contentsOf other: some Sequence<UInt8>) { bytes.append(contentsOf: other) }

    /// Appends `value` as compact JSON.
    public mutating func append(_ value: JSONValue) {
        let needed = json_dumpb(value.raw, nil, 0, Self.dumpFlags)
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: needed))
        let written = bytes.withUnsafeMutableBytes { raw in
            json_dumpb(value.raw, raw.baseAddress!.advanced(by: start).assumingMemoryBound(to: CChar.self), needed, Self.dumpFlags)
        }
        bytes.removeLast(needed - min(written, needed))
    }
}
