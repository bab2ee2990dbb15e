import JSONStream

/// Offer statuses of the Arkane Market API. There is no CANCELLED: a cancel moves an
/// offer READY → CLOSING_OFFER → CLOSED.
public enum OfferStatus: String, Sendable, CaseIterable {
    case new = "NEW"
    case initiatingOffer = "INITIATING_OFFER"
    case ready = "READY"
    case refused = "REFUSED"
    case finalizingOffer = "FINALIZING_OFFER"
    case sold = "SOLD"
    case closingOffer = "CLOSING_OFFER"
    case closed = "CLOSED"
    case error = "ERROR"
    case terminated = "TERMINATED"
}

/// One offer in the simulated market.
public struct MockOffer: Sendable, Equatable {
    public var id: String
    public var status: OfferStatus
    public var ownerID: String
    /// Set when a cancel was accepted: when CLOSING_OFFER turns into CLOSED.
    var closesAt: ContinuousClock.Instant?

    public init(id: String, status: OfferStatus = .ready, ownerID: String) {
        self.id = id
        self.status = status
        self.ownerID = ownerID
    }

    /// `count` READY offers owned by `ownerID`, with UUIDs derived from `seed`.
    public static func generated(count: Int, ownerID: String, seed: UInt64 = 1) -> [MockOffer] {
        (0..<count).map { index in
            MockOffer(id: uuid(from: Hashing.splitMix(seed ^ 0x0FFE_0000) &+ UInt64(index)), ownerID: ownerID)
        }
    }

    /// A version-4-shaped lower-case UUID from a counter.
    static func uuid(from value: UInt64) -> String {
        let high = Hashing.splitMix(value), low = Hashing.splitMix(high ^ value)
        let hex = Array((String(high, radix: 16).leftPadded(16) + String(low, radix: 16).leftPadded(16)).utf8)
        var bytes = hex
        bytes[12] = UInt8(ascii: "4")
        bytes[16] = Array("89ab".utf8)[Int(low & 3)]
        let text = String(decoding: bytes, as: UTF8.self)
        let parts = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { range in
            String(text.dropFirst(range.lowerBound).prefix(range.count))
        }
        return parts.joined(separator: "-")
    }

    /// Reads a fixture: a JSON array (or `{"result": [...]}`) of objects with `id`, and
    /// optionally `status` and `owner` (or `sellerId`); missing owners are `defaultOwner`.
    public static func fixture(path: String, defaultOwner: String) throws -> [MockOffer] {
        let elements = JSONElementReader(reader: JSONValueReader(input: try ByteInput(path: path)))
        var offers: [MockOffer] = []
        while let element = try elements.next() {
            guard let id = element["id"]?.string else {
                throw JSONError(kind: .syntax, text: "\(path): offer #\(offers.count + 1) has no string \"id\"")
            }
            let statusText = element["status"]?.string ?? OfferStatus.ready.rawValue
            guard let status = OfferStatus(rawValue: statusText) else {
                throw JSONError(kind: .syntax, text: "\(path): offer \(id) has unknown status \(statusText)")
            }
            let owner = element["owner"]?.string ?? element["sellerId"]?.string ?? defaultOwner
            offers.append(MockOffer(id: id.lowercased(), status: status, ownerID: owner))
        }
        return offers
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
