import JSONStream
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The market's mutable state and its accounting, behind one lock. Every request takes the
/// lock briefly and never across an `await`.
final class MarketState: Sendable {
    struct Stats {
        var requests: [String: Int] = [:]
        /// Offers written by list replies.
        var offersListed = 0
        var cancelCalls: [String: Int] = [:]
        /// When each offer last received a cancel, in milliseconds since 1970 (to compare with
        /// records' `finishedAt`).
        var lastCancelMillis: [String: Double] = [:]
        var cancelReplies: [String: Int] = [:]
        var faults: [String: Int] = [:]
        /// Offer requests by the protocol they came over (`h2`, `http/1.1`).
        var protocols: [String: Int] = [:]
        var inFlight = 0
        var maxInFlight = 0
        var firstCancelAt: ContinuousClock.Instant?
        var lastCancelAt: ContinuousClock.Instant?
        /// When each offer last got a 429, to measure how long clients waited after it.
        var rateLimitedAt: [String: ContinuousClock.Instant] = [:]
        var retryGapsAfter429: [Duration] = []
    }

    struct Contents {
        var offers: [String: MockOffer] = [:]
        var issuedTokens: [String: ContinuousClock.Instant] = [:]
        var tokensIssued = 0
        /// The client's credentials were withdrawn (`revokeAfter`): no token works any more.
        var revoked = false
        var requestCounter: UInt64 = 0
        var stats = Stats()
    }

    let configuration: MarketConfiguration
    /// Contracts and types of offers, from their IDs.
    let catalog: OfferCatalog
    private let contents: NIOLockedValueBox<Contents>
    /// The gateway in front of the offer routes (its own lock: it changes while running).
    let gateway: Gateway

    init(configuration: MarketConfiguration) {
        self.configuration = configuration
        catalog = OfferCatalog(contracts: configuration.contracts, shape: configuration.replyShape)
        self.contents = NIOLockedValueBox(Self.initialContents(configuration))
        self.gateway = Gateway(configuration: configuration.gateway)
    }

    private static func initialContents(_ configuration: MarketConfiguration) -> Contents {
        var contents = Contents()
        for offer in configuration.offers { contents.offers[offer.id] = offer }
        return contents
    }

    func reset() {
        contents.withLockedValue { $0 = Self.initialContents(configuration) }
        gateway.reset()
    }

    // MARK: Requests and faults

    /// Counts a request on `route` as in flight; returns the fault it meets, if any.
    func begin(route: String, faultable: Bool, over httpProtocol: String? = nil) -> FaultKind? {
        contents.withLockedValue { contents in
            contents.stats.requests[route, default: 0] += 1
            if let httpProtocol { contents.stats.protocols[httpProtocol, default: 0] += 1 }
            contents.stats.inFlight += 1
            contents.stats.maxInFlight = max(contents.stats.maxInFlight, contents.stats.inFlight)
            guard faultable else { return nil }
            contents.requestCounter += 1
            var draw = Hashing.unit(Hashing.splitMix(configuration.seed &* 0x9E37_79B9 &+ contents.requestCounter))
            for kind in FaultKind.allCases {
                let rate = configuration.faults.rate(of: kind)
                if draw < rate {
                    contents.stats.faults[kind.rawValue, default: 0] += 1
                    return kind
                }
                draw -= rate
            }
            return nil
        }
    }

    func end() {
        contents.withLockedValue { $0.stats.inFlight -= 1 }
    }

    /// A uniform draw in [0, 1) for latency jitter.
    func jitterDraw() -> Double {
        contents.withLockedValue { contents in
            contents.requestCounter += 1
            return Hashing.unit(Hashing.splitMix(contents.requestCounter ^ 0x5EED))
        }
    }

    // MARK: Tokens

    /// A new token, or `nil` once the credentials are withdrawn: with ``MarketConfiguration/revokeAfter``
    /// N, asking for token N+1 is refused, and every token issued stops working.
    func issueToken() -> String? {
        contents.withLockedValue { contents in
            if let limit = configuration.revokeAfter, contents.tokensIssued >= limit { contents.revoked = true }
            if contents.revoked { return nil }
            contents.tokensIssued += 1
            contents.requestCounter += 1
            let token = "mock-issued-" + String(Hashing.splitMix(configuration.seed ^ contents.requestCounter), radix: 36)
            contents.issuedTokens[token] = .now + .seconds(configuration.tokenLifetime)
            return token
        }
    }

    /// Whether this token request meets the token endpoint's fault (``MarketConfiguration/tokenFaultRate``).
    func tokenEndpointFails() -> Bool {
        guard configuration.tokenFaultRate > 0 else { return false }
        return contents.withLockedValue { contents in
            contents.requestCounter += 1
            let failed = Hashing.unit(Hashing.splitMix(configuration.seed ^ 0x70CE ^ contents.requestCounter)) < configuration.tokenFaultRate
            if failed { contents.stats.faults["token-\(configuration.tokenFaultStatus)", default: 0] += 1 }
            return failed
        }
    }

    enum TokenCheck { case valid, missing, invalid, expired }

    func check(authorization: String?) -> TokenCheck {
        guard let authorization, authorization.hasPrefix("Bearer ") else { return .missing }
        let token = authorization.dropFirst("Bearer ".count)
        if token == configuration.token { return .valid }
        return contents.withLockedValue { contents in
            guard !contents.revoked, let expiry = contents.issuedTokens[String(token)] else { return .invalid }
            return expiry > .now ? .valid : .expired
        }
    }

    // MARK: Offers

    /// The result of asking for an offer: found (possibly created), or absent.
    enum Lookup { case found(MockOffer), notFound }

    /// What a cancel did, for the reply and the stats.
    enum CancelResult {
        case accepted(MockOffer)
        case alreadyClosed(MockOffer)
        case notCancellable(MockOffer)
        case notOwned
        case notFound
    }

    func cancel(id: String) -> CancelResult {
        contents.withLockedValue { contents in
            let now = ContinuousClock.now
            guard var offer = lookup(id: id, in: &contents, now: now) else {
                contents.stats.cancelReplies["not_found", default: 0] += 1
                return .notFound
            }
            let result: CancelResult
            if !configuration.owns(offer.ownerID) {
                result = .notOwned
            } else {
                switch offer.status {
                case .ready, .new:
                    result = .accepted(offer)
                    offer.status = .closingOffer
                    offer.closesAt = now + configuration.closeDelay
                    contents.offers[id] = offer
                case .closingOffer, .closed:
                    result = .alreadyClosed(offer)
                default:
                    result = .notCancellable(offer)
                }
            }
            let name = switch result {
            case .accepted: "cancelled"
            case .alreadyClosed: "already_closed"
            case .notCancellable: "not_cancellable"
            case .notOwned: "forbidden"
            case .notFound: "not_found"
            }
            contents.stats.cancelReplies[name, default: 0] += 1
            return result
        }
    }

    func offer(id: String) -> MockOffer? {
        contents.withLockedValue { lookup(id: id, in: &$0, now: .now) }
    }

    /// Every offer's ID, in order: what a list reply walks through, a chunk at a time.
    func offerIDs() -> [String] {
        contents.withLockedValue { $0.offers.keys.sorted() }
    }

    /// The offers of `ids` that `query` selects, as they are now.
    func offers(_ ids: ArraySlice<String>, matching query: OfferQuery, owners: Set<String>) -> [MockOffer] {
        contents.withLockedValue { contents in
            let now = ContinuousClock.now
            return ids.compactMap { id in
                lookup(id: id, in: &contents, now: now).flatMap { query.matches($0, owners: owners, catalog: catalog) ? $0 : nil }
            }
        }
    }

    /// Counts offers written by a list reply.
    func noteListed(_ count: Int) {
        contents.withLockedValue { $0.stats.offersListed += count }
    }

    func noteRateLimited(id: String) {
        contents.withLockedValue { $0.stats.rateLimitedAt[id] = .now }
    }

    /// Counts a cancel call for `id` (faulted or not), and the gap since its last 429.
    func recordCancelCall(id: String) {
        contents.withLockedValue { contents in
            let now = ContinuousClock.now
            contents.stats.cancelCalls[id, default: 0] += 1
            var wall = timespec()
            clock_gettime(CLOCK_REALTIME, &wall)
            contents.stats.lastCancelMillis[id] = Double(wall.tv_sec) * 1000 + Double(wall.tv_nsec) / 1e6
            contents.stats.firstCancelAt = contents.stats.firstCancelAt ?? now
            contents.stats.lastCancelAt = now
            if let limitedAt = contents.stats.rateLimitedAt.removeValue(forKey: id) {
                contents.stats.retryGapsAfter429.append(now - limitedAt)
            }
        }
    }

    /// Finds an offer, creating it on first sight by the scenario, and moves CLOSING_OFFER
    /// to CLOSED once its delay has passed.
    private func lookup(id: String, in contents: inout Contents, now: ContinuousClock.Instant) -> MockOffer? {
        if var offer = contents.offers[id] {
            if offer.status == .closingOffer, let closesAt = offer.closesAt, closesAt <= now {
                offer.status = .closed
                offer.closesAt = nil
                contents.offers[id] = offer
            }
            return offer
        }
        guard configuration.createsOffersOnFirstSight, Self.isUUID(id) else { return nil }
        let scenario = configuration.scenario
        var draw = Hashing.unit(Hashing.fnv1a(id, seed: configuration.seed))
        var offer = MockOffer(id: id, status: .ready, ownerID: configuration.ownerID)
        let fates: [(Double, (inout MockOffer) -> Void)] = [
            (scenario.alreadyClosed, { $0.status = .closed }),
            (scenario.closing, { $0.status = .closingOffer }),
            (scenario.sold, { $0.status = .sold }),
            (scenario.notFound, { _ in }),
            (scenario.notOwned, { $0.ownerID = "0c0ffee0-0000-4000-8000-000000000000" }),
        ]
        for (index, (share, apply)) in fates.enumerated() {
            if draw < share {
                if index == 3 { return nil }  // not found
                apply(&offer)
                break
            }
            draw -= share
        }
        contents.offers[id] = offer
        return offer
    }

    static func isUUID(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 36 else { return false }
        for (index, byte) in bytes.enumerated() {
            if [8, 13, 18, 23].contains(index) {
                if byte != UInt8(ascii: "-") { return false }
            } else if !(byte >= 0x30 && byte <= 0x39) && !(byte >= 0x61 && byte <= 0x66) {
                return false
            }
        }
        return true
    }

    // MARK: Stats

    func statsJSON() -> JSONValue {
        contents.withLockedValue { contents in
            let stats = contents.stats
            var byStatus: [String: Int] = [:]
            var statusByID: [(String, JSONValue)] = []
            let now = ContinuousClock.now
            for id in contents.offers.keys.sorted() {
                if let offer = lookup(id: id, in: &contents, now: now) {
                    byStatus[offer.status.rawValue, default: 0] += 1
                    statusByID.append((id, .string(offer.status.rawValue)))
                }
            }
            func counts(_ table: [String: Int]) -> JSONValue {
                .object(table.sorted { $0.key < $1.key }.map { ($0.key, .integer(Int64($0.value))) })
            }
            func seconds(_ duration: Duration) -> JSONValue {
                .real(Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
            }
            var window: Duration?
            if let first = stats.firstCancelAt, let last = stats.lastCancelAt { window = last - first }
            return .object([
                ("requests", counts(stats.requests)),
                ("cancelReplies", counts(stats.cancelReplies)),
                ("cancelCalls", counts(stats.cancelCalls)),
                ("lastCancelMillis", .object(stats.lastCancelMillis.sorted { $0.key < $1.key }.map { ($0.key, .real($0.value)) })),
                ("offersByStatus", counts(byStatus)),
                ("offersListed", .integer(Int64(stats.offersListed))),
                ("offerStatus", .object(statusByID)),
                ("faults", counts(stats.faults)),
                ("protocols", counts(stats.protocols)),
                ("inFlight", .integer(Int64(stats.inFlight))),
                ("maxInFlight", .integer(Int64(stats.maxInFlight))),
                ("cancelWindowSeconds", window.map(seconds) ?? .null),
                ("retryGapsAfter429", .array(stats.retryGapsAfter429.map(seconds))),
                ("gateway", gateway.statsJSON()),
            ])
        }
    }
}
