@testable import MockMarket
@testable import OfferCancelKit
import Testing
import TestSupport

/// The governor against the simulated market's own gateway (its token bucket and lock-outs),
/// in synthetic time: a request every time the governor allows one, each answered after a
/// fixed latency. What the flow benchmarks measure over minutes, decided in milliseconds.
@Suite struct GatewaySimulationTests {
    /// A limit that doubles mid-run is found within 10 s, and the run is never locked out. The
    /// first release grew 0.1 % a second past the last limit it met: 700 s to find a doubling.
    @Test func aLimitThatDoublesIsFoundWithinTenSeconds() throws {
        var run = Simulation(rateLimit: 300, burst: 50)
        run.advance(toSecond: 20)
        run.changeRateLimit(to: 600)
        run.advance(toSecond: 30)
        let found = run.accepted(inSecond: 29)
        #expect(found >= 540, "at least 0.9 of the doubled limit 10 s after the change: \(found)/s; per second \(run.acceptedPerSecond)")
        #expect(run.lockOuts == 0)
        // The 300/s limit before the change, ridden as before: ≥ 0.9 of it, few 429s.
        let before = (10..<20).map(run.accepted(inSecond:)).reduce(0, +)
        #expect(before >= 2_700, "\(before) accepted in seconds 10–19 at a 300/s limit; per second \(run.acceptedPerSecond)")
        #expect(run.rejectedShare <= 0.03, "\(run.rejected) of \(run.rejected + run.accepted) requests answered 429")
    }

    /// A limit halved mid-run is followed within a few episodes: from 5 s after the change, at
    /// least 0.9 of the new limit, with few 429s and no lock-out.
    @Test func aLimitThatHalvesIsFollowed() throws {
        var run = Simulation(rateLimit: 300, burst: 50)
        run.advance(toSecond: 20)
        run.changeRateLimit(to: 150)
        let before = (run.accepted, run.rejected)
        run.advance(toSecond: 40)
        let after = (25..<40).map(run.accepted(inSecond:)).reduce(0, +)
        #expect(after >= 2_025, "\(after) accepted in seconds 25–39 at a 150/s limit; per second \(run.acceptedPerSecond)")
        let rejected = run.rejected - before.1, sent = run.accepted - before.0 + rejected
        #expect(Double(rejected) <= 0.03 * Double(sent), "\(rejected) of \(sent) requests answered 429 after the change")
        #expect(run.lockOuts == 0)
    }

    /// A run against the gateway with every request a new offer: the governor decides, the
    /// gateway admits or refuses at the instant the request goes, the reply comes `latency` later.
    struct Simulation {
        let t0 = ContinuousClock.now
        let governor: Governor
        let gateway: Gateway
        let latency: Int
        private(set) var acceptedPerSecond: [Int] = []
        private(set) var accepted = 0
        private(set) var rejected = 0
        private var now = 0
        /// Requests to send at a millisecond (the governor paces them onto its grid).
        private var sends: [Int: [Governor.Permit]] = [:]
        /// Replies due at a millisecond.
        private var replies: [Int: [(Governor.Permit, FlowSignal)]] = [:]

        init(rateLimit: Double, burst: Int, penalty: Duration = .seconds(10), latency: Int = 5) {
            var configuration = GatewayConfiguration()
            configuration.rateLimit = rateLimit
            configuration.burst = burst
            configuration.penalty = penalty
            gateway = Gateway(configuration: configuration)
            governor = Governor(settings: Governor.Settings(), now: t0)
            self.latency = latency
        }

        var lockOuts: Int { gateway.statsJSON()["lockOuts"]?.integer.map(Int.init) ?? -1 }
        var rejectedShare: Double { Double(rejected) / Double(max(1, accepted + rejected)) }

        func accepted(inSecond second: Int) -> Int { second < acceptedPerSecond.count ? acceptedPerSecond[second] : 0 }

        func changeRateLimit(to rate: Double) {
            _ = gateway.apply(.object([("rateLimit", .real(rate))]))
        }

        /// Runs millisecond by millisecond up to the start of `second`.
        mutating func advance(toSecond second: Int) {
            while now < second * 1_000 {
                step()
                now += 1
            }
        }

        private func instant(_ millisecond: Int) -> ContinuousClock.Instant { t0 + .milliseconds(millisecond) }

        private mutating func step() {
            for (permit, signal) in replies.removeValue(forKey: now) ?? [] {
                governor.release(permit, signal, now: instant(now))
            }
            while case .go(let at, let inFlight) = governor.decide(now: instant(now)) {
                let due = max(now, Int(((at - t0).seconds * 1_000).rounded(.up)))
                sends[due, default: []].append(Governor.Permit(issuedAt: at, inFlight: inFlight, firstAttempt: true, waited: .zero))
            }
            for permit in sends.removeValue(forKey: now) ?? [] {
                // As `Governor.acquire`: a 429 may have paused the run while this one waited for its slot.
                if governor.isPaused(now: instant(now)) {
                    governor.giveBack(permit)
                    continue
                }
                let signal: FlowSignal
                switch gateway.admit(client: "simulation", now: instant(now)) {
                case nil:
                    gateway.leave()
                    accepted += 1
                    while acceptedPerSecond.count <= now / 1_000 { acceptedPerSecond.append(0) }
                    acceptedPerSecond[now / 1_000] += 1
                    signal = .healthy(latency: .milliseconds(latency))
                case .rateLimited(let retryAfter, _)?:
                    rejected += 1
                    signal = .throttled(retryAfter: .seconds(retryAfter))
                case .overCapacity?:
                    rejected += 1
                    signal = .overloaded(retryAfter: nil)
                }
                replies[now + latency, default: []].append((permit, signal))
            }
        }
    }
}
