/// The filters of `GET /user/offers` and `GET /users/{id}/offers`, as the API documents them:
/// `type`, `status` (a comma-separated list), `contractAddress`, `relation`, `externalUserId`,
/// `includeSubUsers`.
struct OfferQuery: Sendable {
    var type: String?
    var statuses: Set<String>?
    var contractAddress: String?
    var relation = "SELLER"
    var externalUserID: String?
    var includeSubUsers = false
    /// `GET /users/{id}/offers`: one sub-user's offers only.
    var subUser: String?

    /// A value the API would refuse, with why.
    struct Invalid: Error { var message: String }

    init(parameters: [String: String], subUser: String? = nil) throws(Invalid) {
        self.subUser = subUser
        if let type = parameters["type"] {
            guard ["SALE", "AUCTION"].contains(type) else { throw Invalid(message: "type must be SALE or AUCTION, not \(type)") }
            self.type = type
        }
        if let status = parameters["status"] {
            let names = status.split(separator: ",").map { String($0) }
            guard !names.isEmpty, names.allSatisfy({ OfferStatus(rawValue: $0) != nil }) else { throw Invalid(message: "unknown status in \(status)") }
            statuses = Set(names)
        }
        contractAddress = parameters["contractAddress"]?.lowercased()
        if let relation = parameters["relation"] {
            guard ["SELLER", "BUYER", "BIDDER"].contains(relation) else { throw Invalid(message: "relation must be SELLER, BUYER or BIDDER, not \(relation)") }
            self.relation = relation
        }
        externalUserID = parameters["externalUserId"]
        if let include = parameters["includeSubUsers"] {
            guard include == "true" || include == "false" else { throw Invalid(message: "includeSubUsers must be true or false") }
            includeSubUsers = include == "true"
        }
    }

    /// The owners whose offers this query lists. The simulated market has no buyers or
    /// bidders, so `BUYER` and `BIDDER` list nothing.
    func owners(caller: String, subUsers: [SubUser]) -> Set<String> {
        guard relation == "SELLER" else { return [] }
        if let subUser { return subUsers.contains { $0.id == subUser } ? [subUser] : [] }
        if let externalUserID { return Set(subUsers.filter { $0.externalUserID == externalUserID }.map(\.id)) }
        return includeSubUsers ? Set([caller] + subUsers.map(\.id)) : [caller]
    }

    func matches(_ offer: MockOffer, owners: Set<String>, catalog: OfferCatalog) -> Bool {
        guard owners.contains(offer.ownerID) else { return false }
        if let statuses, !statuses.contains(offer.status.rawValue) { return false }
        if let type, OfferCatalog.type(of: offer.id) != type { return false }
        if let contractAddress, catalog.contract(of: offer.id).address.lowercased() != contractAddress { return false }
        return true
    }
}
