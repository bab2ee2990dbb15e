import Foundation
import JSONStream
import Testing
import TestSupport

extension EndToEnd {
    /// The run against a gateway whose limits nobody published: counts of 429s, lock-outs and
    /// records, never wall time.
    @Suite(.serialized, .wholeMachine) struct FlowControlEndToEndTests {
        /// The gateway's counts and the market's applied cancels after a run.
        struct Gateway {
            var accepted: Int64
            var rejected: Int64
            var lockOuts: Int64
            var overCapacity: Int64
            var cancelled: Int64
            var maxCallsPerID: Int64

            init(_ stats: JSONValue) {
                let gateway = stats["gateway"]
                accepted = gateway?["accepted"]?.integer ?? -1
                rejected = gateway?["rejected"]?.integer ?? -1
                lockOuts = gateway?["lockOuts"]?.integer ?? -1
                overCapacity = gateway?["overCapacity"]?.integer ?? -1
                cancelled = stats["cancelReplies"]?["cancelled"]?.integer ?? 0
                maxCallsPerID = stats["cancelCalls"]?.members.compactMap { $0.value.integer }.max() ?? 0
            }

            var rejectedShare: Double { Double(rejected) / Double(max(1, accepted + rejected)) }
        }

        /// The share of requests a run may have answered 429 against a gateway. Under a
        /// sanitizer the bound scales: a client ten times slower paces with jitter its gateway's
        /// strict token bucket refuses (the halved-limit test saw 10.1 % and 10.4 % in two TSan
        /// runs of the whole suite, 3–4 % when run alone), while lock-outs, records and every
        /// offer cancelled are asserted the same in every build.
        static let rejectedShareBound = Sanitizer.isActive ? 0.25 : 0.10

        /// The four `Retry-After` styles differ in parsing (unit-tested), not in the pipeline's
        /// threads: under a sanitizer, whose point is those threads, the mixed style only.
        @Test(arguments: Sanitizer.isActive ? ["mixed"] : ["seconds", "date", "none", "mixed"])
        func sixtyFourInFlightAgainstALimitedGatewayIsNeverLockedOut(retryAfterStyle: String) async throws {
            let market = try MockProcess(["--rate-limit", "200/s", "--burst", "20", "--penalty", "5", "--retry-after-style", retryAfterStyle])
            let ids = try IDFile(count: 1_200)
            let run = try CancelRun.run(["--base-url", market.baseURL, "-c", "64", "-q", ids.path])
            let gateway = Gateway(try await market.stats())
            #expect(gateway.lockOuts == 0, "the first release, 64 workers each retrying alone, was locked out")
            #expect(gateway.cancelled == 1_200, "every offer cancelled")
            #expect(gateway.maxCallsPerID == 1 || gateway.rejected > 0, "an ID is sent again only after a 429")
            // The first episode's echo (the requests in flight when the burst ran out) weighs more
            // in 1,200 IDs than in the benchmark's 20,000 (0.1–0.2 % there); the first release: 75 %.
            #expect(gateway.rejectedShare < Self.rejectedShareBound, "\(gateway.rejected) of \(gateway.accepted + gateway.rejected) requests answered 429")
            #expect(outcomeCounts(try run.records()) == ["cancelled": 1_200])
            #expect(run.status == 0)
        }

        /// The limit halves once a third of the offers are recorded — an event of the run, not a
        /// moment on the clock: a sanitized client, slow to start, once met the change in its
        /// slow start instead of at the limit it had learned, and saw three times the 429s.
        @Test func theLimitHalvedMidRunIsFollowedWithoutALockOut() async throws {
            let market = try MockProcess(["--rate-limit", "300/s", "--burst", "30", "--penalty", "5"])
            let ids = try IDFile(count: 1_500)
            let summaryPath = NSTemporaryDirectory() + "summary-\(UUID().uuidString).json"
            defer { try? FileManager.default.removeItem(atPath: summaryPath) }
            let live = try LiveRun(["--base-url", market.baseURL, "-q", "--sink", "ndjson:-", "--sink", "summary-json:\(summaryPath)", ids.path])
            #expect(live.wait(upTo: 120) { live.stdoutLines.count >= 500 }, "\(live.stderr)")
            let change = try shell("curl -s -X POST -d '{\"rateLimit\": 150}' \(market.baseURL)/__mock/config > /dev/null")
            #expect(change.status == 0)
            #expect(live.waitForExit(upTo: 120) != nil, "the run ended")
            let run = (status: live.status, lines: live.stdoutLines)
            #expect(run.lines.count == 1_500)
            let stats = try await market.stats()
            let gateway = Gateway(stats)
            #expect(stats["gateway"]?["rateLimit"]?.number == 150, "the change reached the gateway during the run")
            #expect(gateway.lockOuts == 0)
            #expect(gateway.cancelled == 1_500)
            #expect(gateway.rejectedShare < Self.rejectedShareBound, "\(gateway.rejected) 429s")
            #expect(run.status == 0)
            let summary = try JSONValue.parse(String(contentsOfFile: summaryPath, encoding: .utf8))
            #expect((summary["flow"]?["throttled"]?.integer ?? -1) == gateway.rejected, "the summary counts the gateway's 429s")
            #expect((summary["flow"]?["replies"]?.integer ?? -1) == gateway.accepted + gateway.rejected, "and every reply, the share's whole")
            #expect((summary["flow"]?["perSecond"]?.count ?? 0) >= 5, "a per-second series")
        }

        /// The limit doubles once a quarter of the offers are recorded: the run finds the new one
        /// (the rate grows back along CUBIC's curve, past the limit it learned) instead of
        /// riding the old one to the end (the linear probe before cd999bf, 0.1 % a second,
        /// never passed 310/s here). Asserted from the gateway's own per-second counts, after
        /// the change: some second accepted half again the old limit. How soon is
        /// `GatewaySimulationTests`' question, in synthetic time. Under a sanitizer the client
        /// may not send 450 a second at all: 2,000 offers (27 s of the whole machine at 6,000),
        /// every one cancelled, no lock-out, that is all.
        @Test func theLimitDoubledMidRunIsFound() async throws {
            let count = Sanitizer.isActive ? 2_000 : 6_000
            let market = try MockProcess(["--rate-limit", "300/s", "--burst", "50", "--penalty", "10"])
            let ids = try IDFile(count: count)
            let live = try LiveRun(["--base-url", market.baseURL, "-q", "--sink", "ndjson:-", ids.path])
            #expect(live.wait(upTo: 120) { live.stdoutLines.count >= count / 4 }, "\(live.stderr)")
            let changedAt = try await market.stats()["gateway"]?["perSecond"]?.count ?? 0
            let change = try shell("curl -s -X POST -d '{\"rateLimit\": 600}' \(market.baseURL)/__mock/config > /dev/null")
            #expect(change.status == 0)
            #expect(live.waitForExit(upTo: 120) != nil, "the run ended")
            #expect(live.stdoutLines.count == count)
            #expect(live.status == 0)
            let stats = try await market.stats()
            let gateway = Gateway(stats)
            #expect(stats["gateway"]?["rateLimit"]?.number == 600, "the change reached the gateway during the run")
            #expect(gateway.lockOuts == 0)
            #expect(gateway.cancelled == Int64(count))
            #expect(gateway.rejectedShare < Self.rejectedShareBound, "\(gateway.rejected) 429s")
            let perSecond = (stats["gateway"]?["perSecond"]?.elements ?? []).map { $0["accepted"]?.integer ?? 0 }
            // The second of the change (`changedAt - 1`, under way when it came) belongs to neither.
            let before = perSecond.prefix(max(0, changedAt - 1)).max() ?? 0
            let after = perSecond.dropFirst(changedAt).max() ?? 0
            #expect(before < 450, "the old limit (300/s and a burst of 50) held before the change: \(perSecond)")
            if !Sanitizer.isActive {
                #expect(after >= 450, "the doubled limit was found: accepted per second \(perSecond)")
            }
        }

        /// Random 429s and 503s at a flat share are noise: each is retried on its own, and the
        /// run neither pauses nor paces nor narrows (the first release paused the whole run on
        /// every one, and ran 25 times slower than `--fixed-concurrency`).
        @Test(arguments: Sanitizer.isActive ? [["--fault-429", "0.01", "--fault-503", "0.02"]]
                                            : [["--fault-429", "0.01", "--fault-503", "0.02"], ["--fault-503", "0.05"]])
        func randomThrottlesAreNoiseNotALimit(faults: [String]) async throws {
            let market = try MockProcess(["--latency-ms", "20", "--seed", "5"] + faults)
            let ids = try IDFile(count: 2_000)
            let summaryPath = NSTemporaryDirectory() + "summary-\(UUID().uuidString).json"
            defer { try? FileManager.default.removeItem(atPath: summaryPath) }
            let run = try CancelRun.run(["--base-url", market.baseURL, "-q", "--sink", "ndjson:-", "--sink", "summary-json:\(summaryPath)", ids.path])
            #expect(outcomeCounts(try run.records()) == ["cancelled": 2_000])
            #expect(run.status == 0)
            let flow = try #require(try JSONValue.parse(String(contentsOfFile: summaryPath, encoding: .utf8))["flow"])
            let throttled = (flow["throttled"]?.integer ?? 0) + (flow["overloaded"]?.integer ?? 0)
            #expect(throttled > 20, "the market did answer 429/503 at random: \(throttled)")
            #expect(flow["pauses"]?.integer == 0, "no run-wide pause")
            #expect((flow["episodes"]?.integer ?? 99) <= 1, "noise is not congestion: \(flow["episodes"]?.integer ?? -1) episodes")
            #expect((flow["isolated"]?.integer ?? 0) >= throttled - 10, "each retried on its own")
            #expect(flow["learnedRate"]?.kind == .null, "no rate was learned from noise")
            // The limit, not the requests in flight: a sanitized client may not fill 64 slots.
            let limit = flow["concurrencyLimit"]?.integer ?? 0
            #expect(limit >= 32, "the concurrency limit stayed near -c 64 (the first release's collapsed to about 10): \(limit)")
        }

        /// 50 ms a request: a capacity of 80 a second, below what even a sanitized client sends
        /// on a loaded machine. At 20 ms (200 a second) an AddressSanitizer client beside four
        /// busy processes met 128–205 refusals in 800 offers, 39–48 on a quiet machine: its own
        /// queue hid the server's count (see ``aServerAtCapacityRefusesFewOfTheRequests()``).
        /// At 50 ms it met 25–30 in 400, quiet or not.
        @Test func overCapacityIsFoundWithoutFailingAnOffer() async throws {
            let market = try MockProcess(["--capacity", "4", "--latency-ms", "50"])
            let ids = try IDFile(count: 400)
            let run = try CancelRun.run(["--base-url", market.baseURL, "-c", "64", "-q", ids.path])
            let gateway = Gateway(try await market.stats())
            #expect(gateway.cancelled == 400)
            #expect(outcomeCounts(try run.records()) == ["cancelled": 400])
            #expect(gateway.overCapacity < 80, "the concurrency limit came down to the capacity: \(gateway.overCapacity) 503s")
            #expect(run.status == 0)
        }

        /// Issue 25's overload market: 503 past 32 requests in flight. The limit rides just under
        /// the capacity it met (the first release's halving and run-wide pause had 8.7 % of the
        /// requests refused; at 20 ms a request, its throughput is a row of Benchmarks/flow.sh).
        /// 250 ms a request, so that the capacity (128 a second) is below what a debug or
        /// sanitized client sends, and the time a busy client takes to read a reply is small
        /// beside the request's: only then does the client's count of requests on the wire
        /// tell the server's. At 20 ms (1,600 a second) a debug client on a loaded machine sent
        /// 650 a second, its count stayed at 64 while the server's rose past 32 only in bursts,
        /// and the refusals it met, 1–5 % of its requests whatever its limit, are what random
        /// noise looks like (CongestionDetector): the share then measured the machine's load.
        /// At 100 ms a ThreadSanitizer client beside the CI's fuzzers met 164 in 3,164; pinned
        /// to a core with a busy process it meets 39–49 in 3,000 (53–91 when it counted the
        /// requests not yet written too), and 12–17 in 2,000 at 250 ms.
        @Test func aServerAtCapacityRefusesFewOfTheRequests() async throws {
            let count = 2_000
            let market = try MockProcess(["--capacity", "32", "--latency-ms", "250"])
            let ids = try IDFile(count: count)
            let run = try CancelRun.run(["--base-url", market.baseURL, "-q", ids.path])
            let stats = try await market.stats()
            let gateway = Gateway(stats)
            let requests = stats["requests"]?["cancel"]?.integer ?? 0
            #expect(outcomeCounts(try run.records()) == ["cancelled": count])
            #expect(gateway.cancelled == Int64(count))
            #expect(Double(gateway.overCapacity) <= 0.05 * Double(requests), "\(gateway.overCapacity) of \(requests) requests answered 503")
            #expect(run.status == 0)
        }

        @Test func recordsSeparateTheRequestFromTheWaitBeforeIt() async throws {
            let market = try MockProcess(["--rate-limit", "100/s", "--burst", "10", "--latency-ms", "5"])
            let ids = try IDFile(count: 300)
            let run = try CancelRun.run(["--base-url", market.baseURL, "-q", ids.path])
            let records = try run.records()
            #expect(records.count == 300)
            let waits = records.compactMap { $0["waitMs"]?.number }
            let latencies = records.compactMap { $0["latencyMs"]?.number }
            #expect(waits.count == 300 && latencies.count == 300, "every sent record has both")
            #expect(waits.contains { $0 >= 900 }, "some offers waited out a pause (Retry-After: 1) or the pace")
            #expect(latencies.allSatisfy { $0 < 900 }, "latencyMs is the final attempt only, never a pause: \(latencies.max() ?? 0) ms")
        }

        @Test func aServerThatKeepsFailingSpendsTheRetryBudgetNotTheServer() async throws {
            let market = try MockProcess(["--fault-500", "0.3", "--seed", "5"])
            let ids = try IDFile(count: 2_000)
            let run = try CancelRun.run(["--base-url", market.baseURL, "--probe", "0", "-q", ids.path])
            let records = try run.records()
            #expect(records.count == 2_000)
            let cancelRequests = try await market.stats()["requests"]?["cancel"]?.integer ?? 0
            // Five attempts each would be about 2,000 × (1 + 0.3 + 0.09 + 0.03 + 0.01) ≈ 2,860.
            #expect(cancelRequests < 2_500, "retries held to a share of first attempts: \(cancelRequests) requests")
            #expect(records.contains { ($0["errorMessage"]?.string ?? "").contains("retry budget exhausted") })
            #expect(run.status == 1)
        }
    }
}
