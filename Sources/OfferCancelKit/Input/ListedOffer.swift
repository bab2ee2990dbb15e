import JSONStream

/// Where an offer of the API's list (shaped like the seed reply's `result`) keeps what
/// `list` and `cancel --select` read from it.
public enum ListedOffer {
    /// The offer's ID (`id`).
    public static func id(_ offer: JSONValue) -> String? { offer["id"]?.string }

    /// `READY`, `CLOSED`, … (`status`).
    public static func status(_ offer: JSONValue) -> String? { offer["status"]?.string }

    /// The NFT's chain: `nft.chain`, else `nft.contract.chain`.
    public static func chain(_ offer: JSONValue) -> JSONValue? {
        offer.value(atPath: "nft.chain") ?? offer.value(atPath: "nft.contract.chain")
    }

    /// The NFT's contract address: `nft.contract.address`, else `nft.address`.
    public static func contract(_ offer: JSONValue) -> JSONValue? {
        offer.value(atPath: "nft.contract.address") ?? offer.value(atPath: "nft.address")
    }
}
