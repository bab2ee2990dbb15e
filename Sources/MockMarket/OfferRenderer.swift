import Foundation
import JSONStream

/// Renders offers as the API's JSON, with every key of the seed reply under the same
/// names and JSON types. What is not part of the offer's state (NFT, dates, price) is
/// derived from the offer ID, so the same ID always looks the same.
enum OfferRenderer {
    /// The seed's NFT attributes and contract, shared (immutable) by every rendered offer.
    private static let attributes: JSONValue = .array(
        [("brand", "Arkane"), ("model", "Hyperion"), ("rarity", "Rare"), ("edition", "Special"), ("type", "Front"),
         ("weight", "90"), ("power", "38"), ("durability", "53"), ("steering", "0"), ("speed", "0")]
            .map { .object([("type", .string("property")), ("name", .string($0.0)), ("value", .string($0.1))]) }
    )

    /// A contract as the API nests it in an offer's NFT (made once per contract, by the catalog).
    static func contractJSON(_ contract: OfferCatalog.Contract, shape: OfferCatalog.Shape = .seed) -> JSONValue {
        let banner = "https://example.invalid/\(contract.symbol)-banner.jpeg"
        let media: [(String, JSONValue)] = shape == .seed
            ? [("media", .string(banner))]
            : [("media", .array([.object([("type", .string("unknown")), ("value", .string(banner))])])),
               ("verified", .bool(false)), ("premium", .bool(false)), ("categories", .array([]))]
        return .object([
            ("chain", .string(contract.chain)),
            ("address", .string(contract.address)),
            ("count", .integer(0)),
            ("name", .string(contract.name)),
            ("description", .string(contract == OfferCatalog.seedContract ? seedContractDescription : "A simulated collection.")),
            ("symbol", .string(contract.symbol)),
            ("url", .string(contract == OfferCatalog.seedContract ? "https://battleracers.io" : "https://example.invalid/\(contract.symbol.lowercased())")),
            ("imageUrl", .string("https://example.invalid/\(contract.symbol)-logo.jpeg")),
        ] + media)
    }

    private static let seedContractDescription = "Battle Racers is an action-packed blockchain racing game where you design, build, and race NFT cars on arcade-sized tracks. Customize your car in the garage by mixing and matching parts and weapons. Different parts have different stats and skills, contributing to your car’s overall performance."

    private static let description = "\"Blockchain Means Business\"\n\nArkane fuels our need for speed, roaring in with a Hyperion based car! Thanks to our friends at Arkane, this car commemorates the launch of the Arkane Market."
    private static let image = "https://example.invalid/parts/ArkaneBumper.png"
    private static let buyer = "0xe885A1cD1b67bDC352A113AB2e6A5Fc6C924F888"

    static func render(_ offer: MockOffer, status: OfferStatus? = nil, catalog: OfferCatalog = OfferCatalog(contracts: 1)) -> JSONValue {
        let hash = Hashing.fnv1a(offer.id)
        let contract = catalog.contract(of: offer.id)
        // Every other offer carries a uint256 NFT id of 78 digits, as ERC-721 ids can be.
        let nftID = hash & 1 == 0 ? String(hash % 100_000) : Self.uint256(from: hash)
        let seller = "0x" + String(repeating: String(hash, radix: 16, uppercase: true).padding(toLength: 16, withPad: "0", startingAt: 0), count: 3).prefix(40)
        let docs = catalog.shape == .docs
        let nft: JSONValue = .object([
            ("id", .string(nftID)),
            ("address", .string(contract.address)),
            ("chain", .string(contract.chain)),
            ("name", .string("Arkane Hyperion Front #\(nftID.suffix(4))")),
            ("description", .string(description)),
            ("imageUrl", .string(image)),
            ("url", .string("https://example.invalid/parts/\(nftID)")),
            ("imagePreviewUrl", .string(image)),
            ("imageThumbnailUrl", .string(image)),
            ("attributes", attributes),
        ] + (docs ? [
            ("animationUrls", .array([.object([("type", .string("video/mp4")), ("value", .string("https://example.invalid/parts/\(nftID).mp4"))])])),
            ("fungible", .bool(false)),
            ("maxSupply", .integer(1)),
        ] : []) + [
            ("contract", catalog.contractObject(of: offer.id)),
        ])
        let state = status ?? offer.status
        let sold: [(String, JSONValue)] = docs && state == .sold ? [
            ("txApprove", .string("0x" + String(repeating: String(hash ^ 0xA, radix: 16), count: 4).prefix(64))),
            ("txOutOfCustody", .string("0x" + String(repeating: String(hash ^ 0xB, radix: 16), count: 4).prefix(64))),
            ("buyerId", .string("fd5a4ee7-2cf8-4f33-8978-3649bc447482")),
            ("soldOn", .string("2021-03-13T16:14:26.076765Z")),
        ] : []
        return .object([
            ("id", .string(offer.id)),
            ("nft", nft),
            ("sellerId", .string(offer.ownerID)),
            ("sellerAddress", .string(String(seller))),
            ("startDate", .string("2021-03-12T15:35:56.669347Z")),
            ("endDate", .string("2021-03-12T15:37:53.565075Z")),
            ("type", .string(OfferCatalog.type(of: offer.id))),
            ("status", .string(state.rawValue)),
            ("dataToSign", .string("\(offer.id)_\(seller)_\(buyer)_\(nftID)")),
            ("txInCustody", .string("0x" + String(repeating: String(hash, radix: 16), count: 4).prefix(64))),
            ("createdOn", .string("2021-03-12T15:35:56.869545Z")),
            ("createdBy", .string(offer.ownerID)),
            ("modifiedOn", .string("2021-03-12T15:36:18.483358Z")),
            ("modifiedBy", .string(offer.ownerID)),
            ("signed", .bool(true)),
        ] + (docs ? [("currency", .string("USDC"))] : []) + [
            ("price", .integer(Int64(hash % 50_000) + 100)),
        ] + sold)
    }

    /// A 78-digit decimal string (the width of a large uint256) derived from `hash`.
    private static func uint256(from hash: UInt64) -> String {
        var digits = "1"
        var state = hash
        while digits.count < 78 {
            state = Hashing.splitMix(state)
            digits += String(state % 10_000_000_000).padding(toLength: 10, withPad: "0", startingAt: 0)
        }
        return String(digits.prefix(78))
    }
}

/// Small deterministic hashes for fates, faults and rendering.
enum Hashing {
    static func fnv1a(_ text: String, seed: UInt64 = 0) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ seed
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        return splitMix(hash)
    }

    static func splitMix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// A uniform value in [0, 1) from a hash.
    static func unit(_ hash: UInt64) -> Double {
        Double(hash >> 11) / Double(1 << 53)
    }
}
