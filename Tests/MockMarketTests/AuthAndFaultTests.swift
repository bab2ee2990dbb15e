import AsyncHTTPClient
import Foundation
import JSONStream
import MockMarket
import NIOCore
import Testing
import TestSupport

@Suite(.serverShare) struct AuthTests {
    static let tokenPath = "/auth/realms/Arkane/protocol/openid-connect/token"

    @Test(arguments: [(nil, "auth.missing-token"), ("wrong", "auth.invalid-token")] as [(String?, String)])
    func badTokensAreUnauthorized(token: String?, code: String) async throws {
        try await MarketHarness.with { market in
            let reply = try await market.cancel(testID(1), token: token)
            #expect(reply.status == 401)
            #expect(reply.errorCode == code)
        }
    }

    @Test func tokenEndpointIssuesTokensThatExpire() async throws {
        try await MarketHarness.with({ $0.tokenLifetime = 2 }) { market in
            let refused = try await market.request(Self.tokenPath, method: .POST, token: nil,
                                                   form: "grant_type=client_credentials&client_id=mock-client&client_secret=nope")
            #expect(refused.status == 401)
            let asked = ContinuousClock.now
            let issued = try await market.request(Self.tokenPath, method: .POST, token: nil,
                                                  form: "grant_type=client_credentials&client_id=mock-client&client_secret=mock-secret")
            #expect(issued.status == 200)
            #expect(issued.json?["token_type"]?.string == "Bearer")
            #expect(issued.json?["expires_in"]?.integer == 2)
            let token = try #require(issued.json?["access_token"]?.string)
            let fresh = try await market.cancel(testID(1), token: token)
            // The token was issued after `asked`: if less than its lifetime has passed since, it
            // was fresh when the cancel arrived (a loaded machine, under a sanitizer, can take longer).
            if ContinuousClock.now - asked < .seconds(2) { #expect(fresh.status == 200) }
            try await Task.sleep(for: .milliseconds(2100))
            let expired = try await market.cancel(testID(2), token: token)
            #expect(expired.status == 401)
            #expect(expired.errorCode == "auth.token-expired")
            #expect(try await market.cancel(testID(2)).status == 200, "the static token never expires")
        }
    }
}

@Suite(.serverShare) struct FaultTests {
    /// What a client sees of one request: a status, or a transport failure.
    enum Seen: Hashable { case status(Int), truncatedBody, transportError, successFalse, retryAfter(dateForm: Bool) }

    static let rate = 0.2

    @Test(arguments: FaultKind.allCases)
    func eachFaultHitsAtItsRate(kind: FaultKind) async throws {
        let requests = kind == .stall ? 300 : 2000
        try await MarketHarness.with({ configuration in
            configuration.seed = 42
            configuration.stall = .seconds(5)
            switch kind {
            case .internalError: configuration.faults.internalError = Self.rate
            case .badGateway: configuration.faults.badGateway = Self.rate
            case .unavailable: configuration.faults.unavailable = Self.rate
            case .rateLimited: configuration.faults.rateLimited = Self.rate
            case .disconnect: configuration.faults.disconnect = Self.rate
            case .truncated: configuration.faults.truncated = Self.rate
            case .successFalse: configuration.faults.successFalse = Self.rate
            case .stall: configuration.faults.stall = Self.rate
            case .lostReply: configuration.faults.lostReply = Self.rate
            case .badGatewayAfterApply: configuration.faults.badGatewayAfterApply = Self.rate
            }
        }, timeout: .milliseconds(kind == .stall ? 2_000 : 10_000)) { market in
            let seen = try await Self.observeMany(market, count: requests)
            let stats = try await market.stats()
            let injected = stats["faults"]?[kind.rawValue]?.integer ?? -1
            Self.verify(kind, seen: seen, injected: Int(injected), requests: requests)
            if kind == .lostReply || kind == .badGatewayAfterApply {
                #expect(stats["cancelReplies"]?["cancelled"]?.integer == Int64(requests), "every cancel was applied, the faulty ones too")
            }
        }
    }

    /// Sends `count` cancels, 32 at a time, and tallies what came back.
    static func observeMany(_ market: MarketHarness, count: Int) async throws -> [Seen: Int] {
        try await withThrowingTaskGroup(of: Seen.self) { group in
            var seen: [Seen: Int] = [:]
            var next = 0
            func add() {
                let id = testID(next)
                next += 1
                group.addTask { await Self.observe(market, id: id) }
            }
            for _ in 0..<32 { add() }
            while let one = try await group.next() {
                seen[one, default: 0] += 1
                if next < count { add() }
            }
            return seen
        }
    }

    /// The server injected `kind` at its rate, and the client saw each injection as that fault.
    static func verify(_ kind: FaultKind, seen: [Seen: Int], injected: Int, requests: Int) {
        let faulty: Int
        switch kind {
        case .internalError: faulty = seen[.status(500), default: 0]
        case .badGateway, .badGatewayAfterApply: faulty = seen[.status(502), default: 0]
        case .unavailable: faulty = seen[.status(503), default: 0]
        case .rateLimited:
            let dates = seen[.retryAfter(dateForm: true), default: 0], seconds = seen[.retryAfter(dateForm: false), default: 0]
            #expect(dates > 0 && seconds > 0, "both Retry-After forms appear")
            faulty = dates + seconds
        case .disconnect, .stall, .lostReply: faulty = seen[.transportError, default: 0]
        case .truncated: faulty = seen[.truncatedBody, default: 0]
        case .successFalse: faulty = seen[.successFalse, default: 0]
        }
        let share = Double(injected) / Double(requests)
        #expect(abs(share - rate) < 0.035, "\(kind): \(injected) of \(requests) — \(seen)")
        if kind == .stall {
            // A stall shows as a timeout; on a loaded machine an ordinary reply may time out too.
            #expect(faulty >= injected)
        } else {
            #expect(faulty == injected)
            #expect(seen[.status(200), default: 0] == requests - faulty)
        }
    }

    static func observe(_ market: MarketHarness, id: String) async -> Seen {
        do {
            let reply = try await market.cancel(id)
            if reply.status == 429, let value = reply.headers.first(name: "Retry-After") {
                return .retryAfter(dateForm: Int(value) == nil)
            }
            if reply.status == 200 {
                guard let json = reply.json else { return .truncatedBody }
                if json["success"]?.bool == false { return .successFalse }
            }
            return .status(reply.status)
        } catch {
            return .transportError
        }
    }

    @Test func latencyIsAdded() async throws {
        try await MarketHarness.with({ $0.latency = .milliseconds(120) }) { market in
            let clock = ContinuousClock()
            let elapsed = try await clock.measure { _ = try await market.cancel(testID(1)) }
            #expect(elapsed >= .milliseconds(120))
        }
    }
}

@Suite(.serverShare) struct StatsTests {
    @Test func statsCountRoutesCallsStatusesAndConcurrency() async throws {
        try await MarketHarness.with({
            $0.latency = .milliseconds(1500)  // long enough that all ten overlap, however loaded the machine
            $0.closeDelay = .seconds(30)
            $0.offers = [MockOffer(id: testID(500), status: .sold, ownerID: MarketConfiguration().ownerID)]
        }) { market in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for n in 0..<10 { group.addTask { _ = try await market.cancel(testID(n)) } }
                try await group.waitForAll()
            }
            _ = try await market.cancel(testID(3))
            _ = try await market.cancel(testID(500))
            _ = try await market.request("/offers/\(testID(4))")
            _ = try await market.request("/user/offers")
            let stats = try await market.stats()
            #expect(stats["requests"]?["cancel"]?.integer == 12)
            #expect(stats["requests"]?["offer"]?.integer == 1)
            #expect(stats["requests"]?["list"]?.integer == 1)
            #expect(stats["cancelCalls"]?[testID(3)]?.integer == 2)
            #expect(stats["cancelCalls"]?.count == 11)
            #expect(stats["cancelCalls"]?[testID(0)]?.integer == 1)
            #expect(stats["cancelReplies"]?["cancelled"]?.integer == 10)
            #expect(stats["cancelReplies"]?["already_closed"]?.integer == 1)
            #expect(stats["cancelReplies"]?["not_cancellable"]?.integer == 1)
            #expect(stats["offersByStatus"]?["CLOSING_OFFER"]?.integer == 10)
            #expect(stats["offersByStatus"]?["SOLD"]?.integer == 1)
            #expect(stats["maxInFlight"]?.integer == 10)
            #expect(stats["inFlight"]?.integer == 0)

            let reset = try await market.request("/__mock/reset", method: .POST, token: nil)
            #expect(reset.status == 200)
            let cleared = try await market.stats()
            #expect(cleared["requests"]?.count == 0)
            #expect(cleared["offersByStatus"]?["SOLD"]?.integer == 1, "fixture offers survive a reset")
            #expect(cleared["offersByStatus"]?["CLOSING_OFFER"] == nil)
        }
    }

    @Test func retryGapsAfter429AreMeasured() async throws {
        try await MarketHarness.with({
            $0.faults.rateLimited = 1
            $0.retryAfterSeconds = 1
        }) { market in
            _ = try await market.cancel(testID(1))
            try await Task.sleep(for: .milliseconds(300))
            _ = try await market.cancel(testID(1))
            let gaps = try #require(try await market.stats()["retryGapsAfter429"]?.elements)
            #expect(gaps.count == 1)
            #expect((gaps.first?.number ?? 0) >= 0.3)
        }
    }
}
