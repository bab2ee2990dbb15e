import Foundation
import JSONStream
import MockMarket
import Testing
import TestSupport

/// `GET /user/offers` and `GET /users/{id}/offers`: the list the API documents, with its filters,
/// over seeded offers spread across contracts, statuses and sub-users.
@Suite(.serverShare) struct ListTests {
    static let owner = MarketConfiguration().ownerID
    static let subUsers = SubUser.seeded(3)
    static let offers = MockOffer.seeded(count: 1000, ownerID: owner, seed: 7, mixed: true, subUsers: subUsers)
    static let catalog = OfferCatalog(contracts: 4)

    static func configure(_ configuration: inout MarketConfiguration) {
        configuration.offers = offers
        configuration.contracts = 4
        configuration.subUsers = subUsers
        configuration.listChunk = 64
    }

    /// A filter as a query, and which seeded offers it must list.
    struct Case: Sendable, CustomTestStringConvertible {
        var query: String
        var selects: @Sendable (MockOffer) -> Bool
        var testDescription: String { query.isEmpty ? "(no filter)" : query }
    }

    static let contract2 = catalog.contracts[2].address

    static let cases: [Case] = [
        Case(query: "") { $0.ownerID == owner },
        Case(query: "status=READY") { $0.ownerID == owner && $0.status == .ready },
        Case(query: "status=CLOSED,SOLD") { $0.ownerID == owner && [.closed, .sold].contains($0.status) },
        Case(query: "type=AUCTION") { $0.ownerID == owner && OfferCatalog.type(of: $0.id) == "AUCTION" },
        Case(query: "contractAddress=\(contract2.uppercased())") { $0.ownerID == owner && catalog.contract(of: $0.id).address == contract2 },
        Case(query: "includeSubUsers=true") { _ in true },
        Case(query: "externalUserId=ext-2") { $0.ownerID == "sub-user-2" },
        Case(query: "relation=BUYER") { _ in false },
        Case(query: "relation=SELLER&status=READY&type=SALE&includeSubUsers=true&contractAddress=\(contract2)") {
            $0.status == .ready && OfferCatalog.type(of: $0.id) == "SALE" && catalog.contract(of: $0.id).address == contract2
        },
    ]

    @Test(arguments: cases)
    func eachFilterListsExactlyItsOffers(_ filter: Case) async throws {
        try await MarketHarness.with(Self.configure) { market in
            let reply = try await market.request("/user/offers" + (filter.query.isEmpty ? "" : "?" + filter.query))
            #expect(reply.status == 200)
            #expect(reply.json?["success"]?.bool == true)
            let listed = reply.json?["result"]?.elements.compactMap { $0["id"]?.string } ?? []
            let expected = Self.offers.filter(filter.selects).map(\.id).sorted()
            #expect(listed == expected)
            #expect(!expected.isEmpty || filter.query.contains("BUYER"), "the filter selects something")
            #expect(try await market.stats()["offersListed"]?.integer == Int64(expected.count))
        }
    }

    @Test func theSeededOffersAreSpreadOverContractsStatusesAndSubUsers() {
        let contracts = Set(Self.offers.map { Self.catalog.contract(of: $0.id).address })
        #expect(contracts.count == 4)
        #expect(Set(Self.catalog.contracts.map(\.chain)).count == 4)
        let ready = Self.offers.filter { $0.status == .ready }.count
        #expect(ready > 600 && ready < 800, "about 70 % READY: \(ready)")
        let ofSubUsers = Self.offers.filter { $0.ownerID != Self.owner }.count
        #expect(ofSubUsers > 120 && ofSubUsers < 280, "about one in five: \(ofSubUsers)")
    }

    @Test func aListedOfferLooksLikeItsCancelReply() async throws {
        try await MarketHarness.with(Self.configure) { market in
            let listed = try #require(try await market.request("/user/offers?status=READY&contractAddress=\(Self.contract2)").json?["result"]?[0])
            let id = try #require(listed["id"]?.string)
            let reply = try await market.cancel(id)
            #expect(reply.json?.value(atPath: "result.nft.contract.address") == listed.value(atPath: "nft.contract.address"))
            #expect(listed.value(atPath: "nft.chain")?.string == Self.catalog.contracts[2].chain)
        }
    }

    @Test func aSubUsersOffersAreListedAtItsOwnRouteAndAreTheCallersToCancel() async throws {
        try await MarketHarness.with(Self.configure) { market in
            let reply = try await market.request("/users/sub-user-3/offers?status=READY")
            let listed = reply.json?["result"]?.elements.compactMap { $0["id"]?.string } ?? []
            #expect(listed == Self.offers.filter { $0.ownerID == "sub-user-3" && $0.status == .ready }.map(\.id).sorted())
            #expect(try await market.cancel(try #require(listed.first)).status == 200)
            #expect(try await market.request("/users/nobody/offers").json?["result"]?.count == 0)
        }
    }

    @Test(arguments: ["type=BID", "status=READY,GONE", "relation=OWNER", "includeSubUsers=yes"])
    func aValueTheAPIWouldRefuseIs400(query: String) async throws {
        try await MarketHarness.with(Self.configure) { market in
            let reply = try await market.request("/user/offers?" + query)
            #expect(reply.status == 400)
            #expect(reply.errorCode == "request.invalid")
        }
    }

    @Test func theListNeedsAToken() async throws {
        try await MarketHarness.with(Self.configure) { market in
            let reply = try await market.request("/user/offers", token: nil)
            #expect(reply.status == 401)
        }
    }

    /// The fault for "a reply cut off mid-array": the connection drops after N offers.
    @Test func aCutListEndsMidArray() async throws {
        try await MarketHarness.with({ Self.configure(&$0); $0.listCutAfter = 100 }) { market in
            await #expect(throws: (any Error).self) { _ = try await market.request("/user/offers?includeSubUsers=true") }
            let listed = try await market.stats()["offersListed"]?.integer
            #expect(listed == 100)
        }
    }
}
