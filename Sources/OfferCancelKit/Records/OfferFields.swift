import JSONStream

/// Where an offer of the API — a cancel's or a poll's `result`, an element of a list — keeps
/// each field that records, `list`, its filters, `--select`'s plan and `--confirm` read: the
/// one place that knows the paths (shaped like the seed reply's `result`). Every accessor
/// has one shape, the member as the API wrote it (`.string` where text is wanted), so a
/// table of them — `list`'s CSV columns — needs no path of its own.
public enum OfferFields {
    /// The offer's ID (`id`).
    public static func id(_ offer: JSONValue) -> JSONValue? { offer["id"] }

    /// `READY`, `CLOSED`, … (`status`).
    public static func status(_ offer: JSONValue) -> JSONValue? { offer["status"] }

    /// `SALE`, `AUCTION`, … (`type`).
    public static func type(_ offer: JSONValue) -> JSONValue? { offer["type"] }

    /// The price as the API wrote it: a number, or a string of one; nothing else.
    public static func price(_ offer: JSONValue) -> JSONValue? {
        offer["price"].flatMap { $0.kind == .integer || $0.kind == .real || $0.kind == .string ? $0 : nil }
    }

    /// The seller's wallet address (`sellerAddress`).
    public static func sellerAddress(_ offer: JSONValue) -> JSONValue? { offer["sellerAddress"] }

    /// When the offer was made (`createdOn`, RFC 3339).
    public static func createdOn(_ offer: JSONValue) -> JSONValue? { offer["createdOn"] }

    /// The NFT's chain: `nft.chain`, else `nft.contract.chain`.
    public static func chain(_ offer: JSONValue) -> JSONValue? {
        offer.value(atPath: "nft.chain") ?? offer.value(atPath: "nft.contract.chain")
    }

    /// The NFT's contract address: `nft.contract.address`, else `nft.address`.
    public static func contract(_ offer: JSONValue) -> JSONValue? {
        offer.value(atPath: "nft.contract.address") ?? offer.value(atPath: "nft.address")
    }

    /// The contract's name (`nft.contract.name`).
    public static func contractName(_ offer: JSONValue) -> JSONValue? { offer.value(atPath: "nft.contract.name") }

    /// The NFT's token ID (`nft.id`: a number or a string).
    public static func nftID(_ offer: JSONValue) -> JSONValue? { offer.value(atPath: "nft.id") }

    /// The NFT's name (`nft.name`).
    public static func nftName(_ offer: JSONValue) -> JSONValue? { offer.value(atPath: "nft.name") }

    /// The NFT's own address field (`nft.address`).
    public static func nftAddress(_ offer: JSONValue) -> JSONValue? { offer.value(atPath: "nft.address") }
}

extension CancelRecord {
    /// Copies the offer's fields from a reply's `result` object.
    public mutating func fill(from offer: JSONValue) {
        self.offer = offer
        offerStatus = OfferFields.status(offer)?.string
        offerType = OfferFields.type(offer)?.string
        price = OfferFields.price(offer)
        sellerAddress = OfferFields.sellerAddress(offer)?.string
        nftId = OfferFields.nftID(offer)?.scalarText
        nftName = OfferFields.nftName(offer)?.string
        nftAddress = OfferFields.nftAddress(offer)?.string
        chain = OfferFields.chain(offer)?.string
        contractName = OfferFields.contractName(offer)?.string
    }
}
