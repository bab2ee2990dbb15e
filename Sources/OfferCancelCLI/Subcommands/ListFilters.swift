import Foundation
import ArgumentParser
import JSONStream
import OfferCancelKit

/// The filters of `list`: the API's, sent as its query, and the local ones it lacks.
struct ListFilters: ParsableArguments {
    @Option(help: ArgumentHelp("Statuses, comma-separated (READY, NEW, CLOSED, SOLD, …).", valueName: "list"))
    var status = "READY"

    @Option(help: ArgumentHelp("SALE or AUCTION.", valueName: "type"))
    var type: String?

    @Option(help: ArgumentHelp("Only this NFT contract's offers.", valueName: "0x…"))
    var contract: String?

    @Option(help: "SELLER, BUYER or BIDDER.")
    var relation = "SELLER"

    @Option(help: ArgumentHelp("Only the offers of the sub-user with this external ID.", valueName: "id"))
    var externalUserId: String?

    @Flag(help: "Include your sub-users' offers.")
    var includeSubUsers = false

    @Option(help: ArgumentHelp("Only this sub-user's offers (GET /users/{id}/offers).", valueName: "id"))
    var subUser: String?

    @Option(help: ArgumentHelp("Offers per page to ask for when the API pages its list (default: the server's); every page is read, and the pages must add up.", valueName: "n"))
    var pageSize: Int?

    @Option(help: ArgumentHelp("Local: only offers on this chain (MATIC, ETHEREUM, …).", valueName: "chain"))
    var chain: String?

    @Option(help: ArgumentHelp("Local: only offers priced below this.", valueName: "price"))
    var priceBelow: Double?

    @Option(help: ArgumentHelp("Local: only offers priced above this.", valueName: "price"))
    var priceAbove: Double?

    @Option(help: ArgumentHelp("Local: only offers created before this RFC 3339 time.", valueName: "time"))
    var createdBefore: String?

    @Option(help: ArgumentHelp("Local: only offers created after this RFC 3339 time.", valueName: "time"))
    var createdAfter: String?

    static let statuses: Set<String> = ["NEW", "INITIATING_OFFER", "READY", "REFUSED", "FINALIZING_OFFER", "SOLD", "CLOSING_OFFER", "CLOSED", "ERROR", "TERMINATED"]

    func query() throws -> OfferListQuery {
        var query = OfferListQuery()
        query.statuses = status.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).uppercased() }
        guard !query.statuses.isEmpty, query.statuses.allSatisfy(Self.statuses.contains) else {
            throw ValidationError("--status \(status): expected a comma-separated list of \(Self.statuses.sorted().joined(separator: ", "))")
        }
        if let type {
            guard ["SALE", "AUCTION"].contains(type.uppercased()) else { throw ValidationError("--type must be SALE or AUCTION, not '\(type)'") }
            query.type = type.uppercased()
        }
        guard ["SELLER", "BUYER", "BIDDER"].contains(relation.uppercased()) else { throw ValidationError("--relation must be SELLER, BUYER or BIDDER, not '\(relation)'") }
        query.relation = relation.uppercased()
        query.contractAddress = contract
        query.externalUserID = externalUserId
        query.includeSubUsers = includeSubUsers ? true : nil
        query.subUser = subUser
        if let pageSize {
            guard (1...100_000).contains(pageSize) else { throw ValidationError("--page-size \(pageSize): 1 to 100000 offers") }
            query.pageSize = pageSize
        }
        return query
    }

    /// These filters as flags, the defaults left out (to print a command that lists the same).
    var arguments: [String] {
        var flags: [String] = []
        func add(_ name: String, _ value: (any CustomStringConvertible)?) { if let value { flags += [name, "\(value)"] } }
        add("--status", status == "READY" ? nil : status)
        add("--type", type)
        add("--contract", contract)
        add("--relation", relation == "SELLER" ? nil : relation)
        add("--external-user-id", externalUserId)
        if includeSubUsers { flags.append("--include-sub-users") }
        add("--sub-user", subUser)
        add("--page-size", pageSize)
        add("--chain", chain)
        add("--price-below", priceBelow)
        add("--price-above", priceAbove)
        add("--created-before", createdBefore)
        add("--created-after", createdAfter)
        return flags
    }

    func localFilter() throws -> LocalOfferFilter {
        func time(_ text: String?, _ name: String) throws -> Timestamp? {
            guard let text else { return nil }
            guard let time = Timestamp(rfc3339: text) else { throw ValidationError("\(name) \(text): expected an RFC 3339 time, like 2026-01-31T00:00:00Z") }
            return time
        }
        return LocalOfferFilter(chain: chain?.uppercased(), priceBelow: priceBelow, priceAbove: priceAbove,
                                createdBefore: try time(createdBefore, "--created-before"), createdAfter: try time(createdAfter, "--created-after"))
    }
}

/// The filters the API lacks, applied to each offer as it streams.
struct LocalOfferFilter {
    var chain: String?
    var priceBelow: Double?
    var priceAbove: Double?
    var createdBefore: Timestamp?
    var createdAfter: Timestamp?

    /// Whether it admits every offer.
    var isEmpty: Bool { chain == nil && priceBelow == nil && priceAbove == nil && createdBefore == nil && createdAfter == nil }

    func admits(_ offer: JSONValue) -> Bool {
        if let chain, OfferFields.chain(offer)?.string?.uppercased() != chain { return false }
        if priceBelow != nil || priceAbove != nil {
            guard let price = OfferFields.price(offer)?.number else { return false }
            if let priceBelow, !(price < priceBelow) { return false }
            if let priceAbove, !(price > priceAbove) { return false }
        }
        if createdBefore != nil || createdAfter != nil {
            guard let created = OfferFields.createdOn(offer)?.string.flatMap(Timestamp.init(rfc3339:)) else { return false }
            if let createdBefore, !(created < createdBefore) { return false }
            if let createdAfter, !(created > createdAfter) { return false }
        }
        return true
    }
}
