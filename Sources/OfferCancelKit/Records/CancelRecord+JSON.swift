import JSONStream

extension CancelRecord {
    /// The record as one JSON object: every contract field in order (absent ones `null`),
    /// and with `includeOffer` an `offer` member holding the reply's offer object as parsed.
    public func json(includeOffer: Bool = false) -> JSONValue {
        .object { object in
            object.add("seq", seq)
            object.add("source", source)
            object.add("line", line)
            object.add("offerId", offerId)
            object.add("outcome", outcome.rawValue)
            object.add("httpStatus", httpStatus)
            object.add("attempts", attempts)
            object.add("latencyMs", latencyMs.map(Self.roundedMs))
            object.add("startedAt", startedAt?.rfc3339)
            object.add("finishedAt", finishedAt?.rfc3339)
            object.add("offerStatus", offerStatus)
            object.add("offerType", offerType)
            object.add("price", price)
            object.add("sellerAddress", sellerAddress)
            object.add("nftId", nftId)
            object.add("nftName", nftName)
            object.add("nftAddress", nftAddress)
            object.add("chain", chain)
            object.add("contractName", contractName)
            object.add("errorCode", errorCode)
            object.add("errorMessage", errorMessage)
            object.add("traceCode", traceCode)
            object.add("confirmed", confirmed)
            if includeOffer { object.add("offer", offer) }
        }
    }

    /// Latency to the microsecond, as records carry it.
    static func roundedMs(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
}
