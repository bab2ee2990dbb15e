import AsyncHTTPClient
import JSONStream
import NIOCore
import NIOHTTP1

/// What to list: the API's own filters of `GET /user/offers` (or `GET /users/{id}/offers`
/// for one sub-user), sent as its query parameters.
public struct OfferListQuery: Sendable, Equatable {
    /// `READY`, `CLOSED`, …; sent as one comma-separated `status`.
    public var statuses: [String] = ["READY"]
    /// `SALE` or `AUCTION`.
    public var type: String?
    public var contractAddress: String?
    /// `SELLER`, `BUYER` or `BIDDER`.
    public var relation = "SELLER"
    public var externalUserID: String?
    public var includeSubUsers: Bool?
    /// List one sub-user's offers (`/users/{id}/offers`).
    public var subUser: String?
    /// Offers per page to ask for when the API pages its list (`pageSize`); not part of
    /// ``pathAndQuery``: the same offers whatever the page size.
    public var pageSize: Int?

    public init() {}

    /// The path and query, every value percent-encoded: what records name as their source
    /// (`api:/user/offers?status=READY&relation=SELLER`).
    public var pathAndQuery: String {
        let path = subUser.map { "/users/\($0.pathSegmentEncoded)/offers" } ?? "/user/offers"
        var items: [(String, String)] = []
        if let type { items.append(("type", type)) }
        if !statuses.isEmpty { items.append(("status", statuses.joined(separator: ","))) }
        if let contractAddress { items.append(("contractAddress", contractAddress)) }
        items.append(("relation", relation))
        if let externalUserID { items.append(("externalUserId", externalUserID)) }
        if let includeSubUsers { items.append(("includeSubUsers", includeSubUsers ? "true" : "false")) }
        return path + "?" + items.map { "\($0.0)=\($0.1.pathSegmentEncoded)" }.joined(separator: "&")
    }
}

/// Why a list did not arrive whole.
public struct OfferListError: Error, CustomStringConvertible, Sendable {
    /// Offers handed out before it stopped.
    public var listed: Int
    /// How many the server said the list holds (a paginated list's `numberOfElements`).
    public var expected: Int?
    public var reason: String
    /// The credentials or the certificate were refused: nothing can be listed.
    public var cannotList: Bool

    public init(listed: Int, expected: Int? = nil, reason: String, cannotList: Bool) {
        self.listed = listed
        self.expected = expected
        self.reason = reason
        self.cannotList = cannotList
    }

    public var description: String {
        if let expected { return "listed \(listed) of \(expected) offers: \(reason); the list is incomplete" }
        return listed > 0 ? "the list stopped after \(listed) offers: \(reason); the list is incomplete" : "listing failed: \(reason)"
    }
}

/// What a whole list was.
public struct OfferList: Sendable, Equatable {
    /// Offers handed out.
    public var count: Int
    /// Replies read: 1 for a list without pagination.
    public var pages: Int
}

extension MarketClient {
    /// Lists offers, handing each to `body` as soon as the reply's bytes hold it whole; the
    /// array is never held. A reply with a `pagination` object is one page: the next one is
    /// asked for (`pageNumber`, and `pageSize` when given) until `hasNextPage` is false, and
    /// the pages must add up (`PageWalk`). A page that fails before its first offer (429, 5xx,
    /// a network error) is asked for again as `retry` says — full jitter, `Retry-After`
    /// honoured up to its cap — for `retry.maxAttempts` requests at most; once offers were
    /// handed out, a reply cut short is an error that says how many. First, ``prepare()``: a
    /// server that cannot be reached or spoken to is one error at once, as for a cancel.
    /// - Throws: ``OfferListError``, or what `body` threw (the list stops there).
    public func listOffers(_ query: OfferListQuery, retry: RetryPolicy = RetryPolicy(base: .milliseconds(500)),
                           _ body: (JSONValue) throws -> Void) async throws -> OfferList {
        if let failure = await prepare() { throw OfferListError(listed: 0, reason: failure, cannotList: true) }
        var walk = PageWalk(pageSize: query.pageSize)
        while true {
            let before = walk.listed
            do {
                let pagination = try await listPage(query, walk: &walk, retry: retry, body)
                guard try walk.pageEnded(pagination, offersOnPage: walk.listed - before) else {
                    return OfferList(count: walk.listed, pages: walk.pages)
                }
            } catch let error as PageError {
                throw OfferListError(listed: walk.listed, expected: walk.expected, reason: error.reason, cannotList: false)
            } catch var error as OfferListError {
                error.expected = walk.expected
                throw error
            }
        }
    }

    /// Reads one reply of the list (one page), feeding its offers through `walk` to `body`;
    /// returns its `pagination` member, if it has one.
    private func listPage(_ query: OfferListQuery, walk: inout PageWalk, retry: RetryPolicy,
                          _ body: (JSONValue) throws -> Void) async throws -> JSONValue? {
        var attempt = 0
        let page = walk.pages + 1
        let listedBefore = walk.listed
        while true {
            attempt += 1
            var splitter = JSONArraySplitter(captureKey: "pagination")
            var retryAfter: Duration?
            do {
                let items = walk.queryItems.map { "&\($0.0)=\($0.1)" }.joined()
                let (request, _) = try await authorizedRequest(query.pathAndQuery + items)
                // A long list streams for a long time: only the idle read timeout (--timeout) applies.
                let response = try await http.execute(request, deadline: .now() + .hours(24))
                let status = Int(response.status.code)
                guard status == 200 else {
                    let text = try? await response.body.collect(upTo: 64 * 1024)
                    let detail = text.flatMap { try? JSONValue.parse(Array($0.readableBytesView)) }?.value(atPath: "errors.0.message")?.string
                    let reason = (page > 1 ? "page \(page): " : "") + "HTTP \(status)" + (detail.map { ": \($0)" } ?? "")
                    if status == 401 || status == 403 { throw OfferListError(listed: walk.listed, reason: reason, cannotList: true) }
                    guard RetryPolicy.isRetryable(status: status) else { throw OfferListError(listed: walk.listed, reason: reason, cannotList: false) }
                    retryAfter = response.headers.first(name: "Retry-After").flatMap(Self.parseRetryAfter)
                    throw Retry(reason: reason)
                }
                for try await chunk in response.body {
                    try splitter.feed(chunk.readableBytesView) { offer in
                        try walk.offer(offer)
                        do { try body(offer) } catch { throw ConsumerError(error: error) }
                    }
                }
                try splitter.finish()
                return splitter.captured
            } catch let error as OfferListError {
                throw error
            } catch let error as PageError {
                throw error
            } catch let consumer as ConsumerError {
                throw consumer.error
            } catch {
                if let reason = Self.cannotSendReason(error) { throw OfferListError(listed: walk.listed, reason: reason, cannotList: true) }
                let reason = (page > 1 ? "page \(page): " : "") + ((error as? Retry)?.reason ?? (error as? JSONError)?.text ?? Self.describe(error))
                // Only a page not yet begun is asked for again; a broken document is not retried.
                guard splitter.count == 0, walk.listed == listedBefore, !(error is JSONError),
                      let wait = retry.delay(after: attempt, retryAfter: retryAfter, unit: Double.random(in: 0..<1)) else {
                    throw OfferListError(listed: walk.listed, reason: reason, cannotList: false)
                }
                try? await Task.sleep(for: wait)
            }
        }
    }

    private struct Retry: Error { var reason: String }
    /// What the caller's `body` threw, carried out unchanged.
    private struct ConsumerError: Error { var error: any Error }
}
