import Foundation
import JSONStream
import Testing
import TestSupport

extension EndToEnd {
    /// The built `offer-cancel` against `arkane-mock`, both real processes on loopback. The tests
    /// that measure a rate or fill a pool take the whole machine; the rest share it.
    @Suite(.serialized, .machineShare) struct PipelineEndToEndTests {
        @Test func tenThousandMixedIDsGiveTenThousandRecordsThatAgreeWithTheServer() async throws {
            let market = try MockProcess(["--mixed", "--seed", "7"])
            // Under a sanitizer, 2,500: every path is run as often as a sanitizer needs.
            let count = Sanitizer.isActive ? 2_500 : 10_000
            let ids = try IDFile(count: count)
            let run = try CancelRun.run(["--base-url", market.baseURL, "-c", "32", "-q", ids.path])
            let records = try run.records()
            #expect(records.count == count)
            #expect(Set(records.compactMap { $0["seq"]?.integer }) == Set((1...count).map(Int64.init)))
            #expect(Set(records.compactMap { $0["offerId"]?.string }) == Set(ids.ids))
            let counts = outcomeCounts(records)
            let replies = try await market.stats()["cancelReplies"]
            for outcome in ["cancelled", "already_closed", "not_found", "forbidden", "not_cancellable"] {
                #expect(Int64(counts[outcome] ?? 0) == replies?[outcome]?.integer ?? 0, "\(outcome)")
                #expect((counts[outcome] ?? 0) > 0, "the mixed scenario yields some \(outcome)")
            }
            #expect(counts.values.reduce(0, +) == count)
            #expect(run.status == 1, "not_found/forbidden/not_cancellable are failures")
            #expect(try await market.stats()["requests"]?["cancel"]?.integer == Int64(count), "one request per ID without faults")
        }

        @Test func twoSecondTokensNeverFailARecordWith401() async throws {
            let market = try MockProcess(["--token-lifetime", "2", "--latency-ms", "5"])
            let ids = try IDFile(count: 1_200)
            let run = try CancelRun.run(
                ["--base-url", market.baseURL, "--auth-url", market.baseURL, "--rate", "200/s", "-c", "8", "-q", ids.path],
                environment: ["ARKANE_CLIENT_ID": "mock-client", "ARKANE_CLIENT_SECRET": "mock-secret"]
            )
            let records = try run.records()
            #expect(records.count == 1_200)
            #expect(records.allSatisfy { $0["httpStatus"]?.integer != 401 })
            #expect(outcomeCounts(records) == ["cancelled": 1_200])
            #expect(run.status == 0)
            let tokens = try await market.stats()["requests"]?["token"]?.integer ?? 0
            #expect(tokens >= 3, "a 6-second run with 2-second tokens refreshes (\(tokens) tokens)")
            #expect(!run.stderr.contains("mock-secret"))
        }

        @Test func retryAfterIsHonoured() async throws {
            let market = try MockProcess(["--fault-429", "0.3", "--retry-after", "1", "--seed", "3"])
            let ids = try IDFile(count: 60)
            let run = try CancelRun.run(["--base-url", market.baseURL, "-c", "16", "-q", ids.path])
            #expect(run.status == 0)
            #expect(outcomeCounts(try run.records()) == ["cancelled": 60])
            let gaps = try await market.stats()["retryGapsAfter429"]?.elements.compactMap(\.number) ?? []
            #expect(gaps.count >= 10)
            #expect(gaps.allSatisfy { $0 >= 0.95 }, "every retry waited out Retry-After: \(gaps.min() ?? 0)")
            let retried = try run.records().filter { ($0["attempts"]?.integer ?? 0) > 1 }
            #expect(!retried.isEmpty)
        }

        @Test(.wholeMachine) func rateLimitHoldsWithinTenPercent() async throws {
            let market = try MockProcess()
            let ids = try IDFile(count: 150)
            let run = try CancelRun.run(["--base-url", market.baseURL, "--rate", "50/s", "-c", "16", "-q", ids.path])
            #expect(run.status == 0)
            let window = try #require(try await market.stats()["cancelWindowSeconds"]?.number)
            let rate = 149 / window
            #expect(rate <= 55, "never more than 10 % over the limit: \(rate)/s")
            #expect(rate >= 40, "and close to it (a loaded machine may be a little slower): \(rate)/s")
        }

        @Test(.wholeMachine, arguments: [1, 7, 24])
        func inFlightNeverExceedsConcurrency(concurrency: Int) async throws {
            let market = try MockProcess(["--latency-ms", "100"])
            // Forty round trips of the pool and more: enough for the pool to fill, 6 s at -c 1 (30 s with 300).
            let ids = try IDFile(count: 40 * concurrency + 20)
            let run = try CancelRun.run(["--base-url", market.baseURL, "-c", String(concurrency), "-q", ids.path])
            #expect(run.status == 0)
            let most = try #require(try await market.stats()["maxInFlight"]?.integer)
            #expect(most <= concurrency)
            #expect(most >= max(1, concurrency * 3 / 4), "the pool is actually used: \(most)")
        }

        @Test func exitZeroWhenEveryRecordIsOK() async throws {
            let market = try MockProcess()
            let ids = try IDFile(count: 20, extraLines: ["ffffffff-0000-4000-8000-000000000001", "FFFFFFFF-0000-4000-8000-000000000001"])
            let run = try CancelRun.run(["--base-url", market.baseURL, "-q", ids.path])
            #expect(run.status == 0)
            #expect(outcomeCounts(try run.records()) == ["cancelled": 21, "duplicate": 1])
        }

        @Test func exitOneWhenSomeRecordFailed() async throws {
            let market = try MockProcess()
            let ids = try IDFile(count: 5, extraLines: ["not-an-offer-id"])
            let run = try CancelRun.run(["--base-url", market.baseURL, "-q", ids.path])
            #expect(run.status == 1)
            let invalid = try run.records().first { $0["outcome"]?.string == "invalid_id" }
            #expect(invalid?["offerId"]?.string == "not-an-offer-id")
            #expect(invalid?["line"]?.integer == 6)
            #expect(invalid?["errorMessage"]?.string == "not a UUID")
        }

        @Test(arguments: [
            ["--concurrency", "0"],
            ["--no-such-flag"],
            ["/nonexistent/ids.txt"],
            ["--sink", "nope:x"],
            ["--format", "xml"],
            ["--base-url", "http://api.example.com"],
            ["--rate", "fast"],
        ])
        func exitTwoWithOneLineForMisuse(arguments: [String]) async throws {
            let ids = try IDFile(count: 1)
            let extra = arguments.contains { $0.hasPrefix("/nonexistent") } ? [] : [ids.path]
            let base = arguments.contains("--base-url") ? [] : ["--base-url", "http://127.0.0.1:9"]
            let run = try CancelRun.run(base + arguments + extra)
            #expect(run.status == 2)
            #expect(run.stderr.split(separator: "\n").count == 1, "one clear line: \(run.stderr)")
            #expect(run.stdout.isEmpty)
        }

        @Test func exitThreeWhenCredentialsAreRejectedAndTheRestIsSkipped() async throws {
            let market = try MockProcess()
            let ids = try IDFile(count: 200)
            let run = try CancelRun.run(["--base-url", market.baseURL, "-c", "4", "-q", ids.path], environment: ["ARKANE_TOKEN": "wrong-token"])
            #expect(run.status == 3)
            let records = try run.records()
            #expect(records.count == 200, "every input line still ends as one record")
            let counts = outcomeCounts(records)
            #expect((counts["skipped"] ?? 0) >= 190)
            #expect((counts["failed"] ?? 0) <= 4)
            #expect(run.stderr.contains("credentials rejected"))
            #expect(!run.stderr.contains("wrong-token") && !String(decoding: run.stdout, as: UTF8.self).contains("wrong-token"))
            #expect(try await market.stats()["requests"]?["cancel"]?.integer ?? 0 <= 4)
        }

        @Test func exitThreeWhenTheClientSecretIsRejected() async throws {
            let market = try MockProcess()
            let ids = try IDFile(count: 50)
            let run = try CancelRun.run(["--base-url", market.baseURL, "--auth-url", market.baseURL, "-q", ids.path],
                                        environment: ["ARKANE_CLIENT_ID": "mock-client", "ARKANE_CLIENT_SECRET": "not-the-secret"])
            #expect(run.status == 3)
            let records = try run.records()
            #expect(outcomeCounts(records) == ["skipped": 50])
            #expect(records.allSatisfy { $0["latencyMs"]?.isNull == true && $0["attempts"]?.integer == 0 })
            #expect(run.stderr.contains("credentials rejected: the token endpoint answered 401"))
            #expect(!run.stderr.contains("not-the-secret"))
            #expect(try await market.stats()["requests"]?["cancel"] == nil, "no cancel was sent")
        }

        @Test func exitThreeAtMaxFailures() async throws {
            let market = try MockProcess(["--not-found", "1"])
            let ids = try IDFile(count: 100)
            let run = try CancelRun.run(["--base-url", market.baseURL, "-c", "2", "--max-failures", "5", "-q", ids.path])
            #expect(run.status == 3)
            let counts = outcomeCounts(try run.records())
            #expect(counts.values.reduce(0, +) == 100)
            #expect((counts["not_found"] ?? 0) >= 5 && (counts["not_found"] ?? 0) <= 7)
            #expect(run.stderr.contains("--max-failures 5 reached"))
        }

        @Test func dryRunSendsNothing() async throws {
            let ids = try IDFile(count: 10)
            let run = try CancelRun.run(["--dry-run", "-q", ids.path], environment: [:])
            #expect(run.status == 0)
            #expect(outcomeCounts(try run.records()) == ["dry_run": 10])
        }

        @Test func confirmPollsUntilClosed() async throws {
            let market = try MockProcess(["--close-delay-ms", "300"])
            let ids = try IDFile(count: 5)
            let run = try CancelRun.run(["--base-url", market.baseURL, "--confirm", "--confirm-timeout", "5", "-q", ids.path])
            #expect(run.status == 0)
            let records = try run.records()
            #expect(records.allSatisfy { $0["confirmed"]?.bool == true && $0["offerStatus"]?.string == "CLOSED" })
            #expect(try await market.stats()["requests"]?["offer"]?.integer ?? 0 >= 5)
        }

        @Test func faultsAreRetriedAndNothingIsLost() async throws {
            let market = try MockProcess(["--fault-503", "0.1", "--fault-500", "0.05", "--fault-disconnect", "0.05",
                                          "--fault-truncated", "0.05", "--seed", "11"])
            let ids = try IDFile(count: 500)
            // A quarter of requests fail at random: more retries than the retry budget allows, so
            // each request backs off on its own here (the budget has its own test in
            // FlowControlEndToEndTests). With 8 attempts, one offer in 500 used them all in
            // 0.25^8 × 500 = 0.8 % of runs (ci23 met one, under TSan); with 12, 0.003 %.
            let run = try CancelRun.run(["--base-url", market.baseURL, "-c", "16", "--fixed-concurrency", "--backoff-base", "5", "--max-attempts", "12",
                                         "-q", ids.path])
            let records = try run.records()
            #expect(records.count == 500)
            let counts = outcomeCounts(records)
            #expect((counts["cancelled"] ?? 0) + (counts["already_closed"] ?? 0) == 500, "\(counts)")
            #expect(records.contains { ($0["attempts"]?.integer ?? 0) > 1 })
            #expect(run.status == 0)
        }

        @Test func timeoutsAreRetriedThenFail() async throws {
            let market = try MockProcess(["--fault-stall", "1", "--stall-ms", "5000"])
            let ids = try IDFile(count: 2)
            let run = try CancelRun.run(["--base-url", market.baseURL, "--timeout", "0.3", "--max-attempts", "2", "--backoff-base", "1", "-q", ids.path])
            #expect(run.status == 1)
            let records = try run.records()
            #expect(records.allSatisfy { $0["outcome"]?.string == "failed" && $0["attempts"]?.integer == 2 })
            #expect(records.allSatisfy { ($0["errorMessage"]?.string ?? "").contains("timed out") })
        }
    }
}
