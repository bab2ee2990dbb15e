import JSONStream

extension CancelRecord {
    /// The record as one JSON object: every contract field in order (absent ones `null`),
    /// and with `includeOffer` an `offer` member holding the reply's offer object as parsed.
    public func json(includeOffer: Bool = false) -> JSONValue {
        var members = Self.fieldNames.map { name in (name, field(name)?.json ?? .null) }
        if includeOffer { members.append(("offer", offer ?? .null)) }
        return .object(members)
    }
}
