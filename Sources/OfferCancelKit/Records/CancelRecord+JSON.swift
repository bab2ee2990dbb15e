import JSONStream

extension CancelRecord {
    /// Appends the record as one compact JSON object: every contract field in order (absent
    /// ones `null`), and with `includeOffer` an `offer` member holding the reply's offer
    /// object as parsed. Written straight into `buffer` in one pass — no JSON tree is built —
    /// byte for byte what jansson would dump for the same object.
    public func appendJSON(to buffer: inout JSONWriteBuffer, includeOffer: Bool = false) {
        for (index, field) in Self.fields.enumerated() {
            buffer.append(contentsOf: Self.jsonKeys[index])
            switch field.value(self) {
            case .text(let text): buffer.appendString(text)
            case .integer(let value): buffer.appendInteger(value)
            case .number(let value): buffer.appendReal(value)
            case .bool(let value): buffer.appendBool(value)
            case .json(let value): buffer.append(value)
            case nil: buffer.appendNull()
            }
        }
        if includeOffer {
            buffer.append(contentsOf: #","offer":"#.utf8)
            if let offer { buffer.append(offer) } else { buffer.appendNull() }
        }
        buffer.append(UInt8(ascii: "}"))
    }

    /// `{"seq":`, then `,"source":` and so on: each field's key as it leads its member.
    private static let jsonKeys: [[UInt8]] = fieldNames.enumerated().map { index, name in
        Array(((index == 0 ? "{" : ",") + "\"\(name)\":").utf8)
    }
}

extension CancelRecord {
    /// Records as NDJSON lines, the one way a record becomes a line (the `ndjson` and `exec`
    /// sinks, the reply fuzzer): ``appendJSON(to:includeOffer:)`` and a newline, reals to 15
    /// significant digits (a latency of 19.011 ms writes as `19.011`, not
    /// `19.010999999999999`), into one buffer reused from line to line.
    public struct LineWriter: Sendable {
        /// Whether each line carries the reply's `offer` object (`--include-offer`).
        public let includeOffer: Bool
        private var buffer = JSONWriteBuffer(realPrecision: 15)

        public init(includeOffer: Bool = false) {
            self.includeOffer = includeOffer
        }

        /// The line of `record`, its newline included.
        public mutating func line(_ record: CancelRecord) -> [UInt8] {
            buffer.removeAll()
            record.appendJSON(to: &buffer, includeOffer: includeOffer)
            buffer.append(0x0A)
            return buffer.bytes
        }

        /// The lines of `records`, one after the other, each with its newline.
        public mutating func lines(_ records: [CancelRecord]) -> [UInt8] {
            buffer.removeAll()
            for record in records {
                record.appendJSON(to: &buffer, includeOffer: includeOffer)
                buffer.append(0x0A)
            }
            return buffer.bytes
        }
    }
}
