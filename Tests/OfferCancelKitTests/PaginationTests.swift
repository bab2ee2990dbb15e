import JSONStream
@testable import OfferCancelKit
import Testing

/// Following a paged list: the pages must add up, or the list is refused.
@Suite struct PaginationTests {
    static func page(_ number: Int, of pages: Int, size: Int = 2, total: Int, next: Bool? = nil) -> JSONValue {
        .object([
            ("pageNumber", .integer(Int64(number))), ("pageSize", .integer(Int64(size))), ("numberOfPages", .integer(Int64(pages))),
            ("numberOfElements", .integer(Int64(total))), ("hasNextPage", .bool(next ?? (number < pages))), ("hasPreviousPage", .bool(number > 1)),
        ])
    }

    static func offer(_ id: String) -> JSONValue { .object([("id", .string(id))]) }

    /// Feeds pages of offer IDs with their pagination; returns the error's reason, if any.
    static func walk(_ pages: [([String], JSONValue?)], pageSize: Int? = nil) -> (reason: String?, asked: [[String]], listed: Int) {
        var walk = PageWalk(pageSize: pageSize)
        var asked: [[String]] = []
        do {
            for (ids, pagination) in pages {
                asked.append(walk.queryItems.map { "\($0.0)=\($0.1)" })
                for id in ids { try walk.offer(offer(id)) }
                guard try walk.pageEnded(pagination, offersOnPage: ids.count) else { return (nil, asked, walk.listed) }
            }
            return ("more pages wanted", asked, walk.listed)
        } catch {
            return (error.reason, asked, walk.listed)
        }
    }

    @Test func pagesThatAddUpAreFollowedToTheEnd() {
        let result = Self.walk([(["a", "b"], Self.page(1, of: 3, total: 5)), (["c", "d"], Self.page(2, of: 3, total: 5)), (["e"], Self.page(3, of: 3, total: 5))], pageSize: 2)
        #expect(result.reason == nil)
        #expect(result.listed == 5)
        #expect(result.asked == [["pageSize=2"], ["pageNumber=2", "pageSize=2"], ["pageNumber=3", "pageSize=2"]])
    }

    @Test func aReplyWithoutPaginationIsTheWholeList() {
        let result = Self.walk([(["a", "b", "a"], nil)])
        #expect(result.reason == nil, "a list of one reply is the server's own, repeats and all")
        #expect(result.asked == [[]])
    }

    @Test(arguments: [
        ([(["a", "b"], page(1, of: 3, total: 5)), (["c", "d"], page(3, of: 3, total: 5))], "page 2 was asked for and page 3 came back: the server does not follow pageNumber"),
        ([(["a", "b"], page(1, of: 3, total: 5)), (["b", "c"], page(2, of: 3, total: 5))], "offer b came twice, the second time on page 2"),
        ([(["a", "a"], page(1, of: 3, total: 5))], "offer a came twice on page 1"),
        ([(["a", "b"], page(1, of: 3, total: 5)), (["c", "d"], page(2, of: 3, total: 6))], "the count changed between pages, from 5 to 6"),
        ([(["a", "b"], page(1, of: 3, total: 5)), ([], page(2, of: 3, total: 5))], "page 2 is empty but says another follows"),
        ([(["a", "b"], page(1, of: 3, total: 5)), (["c"], page(2, of: 3, total: 5, next: false))], "the last page came with 2 offers missing"),
        ([(["a", "b"], page(1, of: 1, total: 1, next: false))], "more offers came than the 1 the pages count"),
        ([(["a", "b"], page(1, of: 3, total: 5)), (["c", "d"], nil)], "page 2 has no pagination though the pages before had one"),
        ([(["a"], .object([("hasNextPage", .bool(true))]))], "the reply's pagination lacks pageNumber or hasNextPage"),
    ] as [([([String], JSONValue?)], String)])
    func pagesThatDoNotAddUpAreRefused(pages: [([String], JSONValue?)], reason: String) {
        #expect(Self.walk(pages).reason == reason)
    }
}

/// The hosts of the later API (Venly) are taken as the Arkane ones are.
@Suite struct LaterAPIHostTests {
    @Test(arguments: [("https://api.arkane.market", "https://login.arkane.network"), ("https://api.venly.market", "https://login.venly.io"),
                      ("https://api.venly.market/", "https://login.venly.io/")])
    func theDocumentedHostsAreAccepted(base: String, auth: String) async throws {
        let secret = try Secret(validating: "s", name: "secret")
        let client = try MarketClient(baseURL: base, credentials: .clientCredentials(id: "id", secret: secret, authURL: auth), concurrency: 1, timeout: .seconds(5))
        #expect(client.baseURL == base.trimmingSlash)
        #expect(TokenProvider.tokenURL(auth) == auth.trimmingSlash + "/auth/realms/Arkane/protocol/openid-connect/token")
        await client.shutdown()
    }
}
