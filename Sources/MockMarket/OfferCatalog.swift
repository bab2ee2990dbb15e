import JSONStream

/// What the market knows about an offer besides its state, derived from its ID so the list,
/// the cancel reply and the offer route always agree: its contract and chain, and its type.
///
/// Contract 0 is the seed reply's (Battle Racers on MATIC); with `contracts` > 1 the others
/// get addresses of their own, spread over four chains.
public struct OfferCatalog: Sendable {
    /// One NFT contract.
    public struct Contract: Sendable, Equatable {
        public var address: String
        public var chain: String
        public var name: String
        public var symbol: String
    }

    public static let chains = ["MATIC", "ETHEREUM", "BSC", "AVAC"]
    public static let seedContract = Contract(address: "0xA4572039E7925BB175944F0F519Ae603F25e16c2", chain: "MATIC", name: "Battle Racers", symbol: "BRPART")

    /// Which description of the API the offers are shaped after.
    public enum Shape: String, Sendable, CaseIterable {
        /// The seed page's reply (`contract.media` a string).
        case seed
        /// The later documentation's replies (docs-capsule, `api-products/market-api/`):
        /// `nft.animationUrls`, `nft.fungible`, `nft.maxSupply`, `contract.media` as
        /// `[{type, value}]` with `verified`, `premium`, `categories`, `currency`, and a sold
        /// offer's `txApprove`, `txOutOfCustody`, `buyerId`, `soldOn`.
        case docs
    }

    /// Every contract, in index order.
    public let contracts: [Contract]
    public let shape: Shape
    /// Each contract as the API's JSON, shared by every offer rendered.
    private let objects: [JSONValue]

    public init(contracts count: Int, shape: Shape = .seed) {
        let contracts: [Contract] = (0..<max(1, count)).map { index in
            guard index > 0 else { return Self.seedContract }
            let a = Hashing.splitMix(UInt64(index) ^ 0xC0_4742_AC75), b = Hashing.splitMix(a)
            let hex = (String(a, radix: 16).leftPadded(16) + String(b, radix: 16).leftPadded(16) + String(a ^ b, radix: 16).leftPadded(16)).prefix(40)
            return Contract(address: "0x" + hex, chain: Self.chains[index % Self.chains.count], name: "Collection \(index)", symbol: "COL\(index)")
        }
        self.contracts = contracts
        self.shape = shape
        objects = contracts.map { OfferRenderer.contractJSON($0, shape: shape) }
    }

    public func contract(of id: String) -> Contract {
        contracts[index(of: id)]
    }

    func contractObject(of id: String) -> JSONValue {
        objects[index(of: id)]
    }

    private func index(of id: String) -> Int {
        contracts.count == 1 ? 0 : Int(Hashing.fnv1a(id, seed: 0xC0) % UInt64(contracts.count))
    }

    /// SALE, or AUCTION for one offer in five.
    public static func type(of id: String) -> String {
        Hashing.fnv1a(id) % 5 == 0 ? "AUCTION" : "SALE"
    }
}

/// A sub-user of the caller's application: it owns offers of its own, which the application
/// may list (`includeSubUsers`, `externalUserId`, `GET /users/{id}/offers`) and cancel.
public struct SubUser: Sendable, Equatable {
    public var id: String
    public var externalUserID: String

    public init(id: String, externalUserID: String) {
        self.id = id
        self.externalUserID = externalUserID
    }

    /// The sub-users a seeded market has: `sub-user-1`… with external IDs `ext-1`….
    public static func seeded(_ count: Int) -> [SubUser] {
        (1...max(1, count)).map { SubUser(id: "sub-user-\($0)", externalUserID: "ext-\($0)") }
    }
}

extension MockOffer {
    /// `count` offers with UUIDs derived from `seed`: all READY and the caller's, or with
    /// `mixed`, 70 % READY and the rest CLOSED, SOLD, CLOSING_OFFER, NEW or TERMINATED, one in
    /// five owned by one of `subUsers`.
    public static func seeded(count: Int, ownerID: String, seed: UInt64, mixed: Bool, subUsers: [SubUser]) -> [MockOffer] {
        var offers = generated(count: count, ownerID: ownerID, seed: seed)
        guard mixed else { return offers }
        let others: [OfferStatus] = [.closed, .closed, .sold, .closingOffer, .new, .terminated]
        for index in offers.indices {
            let hash = Hashing.fnv1a(offers[index].id, seed: seed ^ 0x5EED)
            let share = Int(hash % 20)  // 0..<14 READY, the other six one status each
            if share >= 14 { offers[index].status = others[share - 14] }
            if !subUsers.isEmpty, (hash >> 8) % 5 == 0 { offers[index].ownerID = subUsers[Int((hash >> 16) % UInt64(subUsers.count))].id }
        }
        return offers
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
