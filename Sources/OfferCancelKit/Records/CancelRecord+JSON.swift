import JSONStream

extension CancelRecord {
    /// The record as one JSON object: every contract field in order (absent ones `null`),
    /// and with `includeOffer` an `offer` member holding the reply's offer object as parsed.
    public func json(includeOffer: Bool = false) -> JSONValue {
        .object { object in
            for field in Self.fields {
                switch field.value(self) {
                case .text(let text): object.add(field.name, text)
                case .integer(let value): object.add(field.name, value)
                case .number(let value): object.add(field.name, value)
                case .bool(let value): object.add(field.name, value)
                case .json(let value): object.add(field.name, value)
                case nil: object.add(field.name, nil as String?)
                }
            }
            if includeOffer { object.add("offer", offer) }
        }
    }
}
