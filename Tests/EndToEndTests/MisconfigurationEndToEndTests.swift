import Foundation
import JSONStream
import Testing
import TestSupport

extension EndToEnd {
    /// A misconfigured run fails fast and leaves a log that `--resume` can trust.
    @Suite(.serialized, .machineShare) struct MisconfigurationEndToEndTests {
        let scratch: Scratch

        init() throws { scratch = try Scratch() }

        func log(_ path: String) throws -> [JSONValue] {
            let reader = NDJSONReader(input: try ByteInput(path: path), maxLineLength: 1 << 20)
            var records: [JSONValue] = []
            while let item = try reader.next() { records.append(try item.value.get()) }
            return records
        }

        /// The last record of each `seq`: what a resumed job says about each input item.
        func finalRecords(_ path: String) throws -> [Int64: JSONValue] {
            try log(path).reduce(into: [:]) { if let seq = $1["seq"]?.integer { $0[seq] = $1 } }
        }

        func requests(_ market: MockProcess) async throws -> Int {
            let requests = try await market.stats()["requests"]
            return ["cancel", "offer", "unknown"].reduce(0) { $0 + Int(requests?[$1]?.integer ?? 0) }
        }

        @Test func aWrongBasePathStopsAtOnceAndAResumeCancelsEveryID() async throws {
            let market = try MockProcess()
            let ids = try IDFile(count: 300)
            let path = scratch.file("run.ndjson")
            let started = Date()
            let first = try CancelRun.run(["--base-url", market.baseURL + "/v2", "--sink", "ndjson:+\(path)", "--sink", "summary", ids.path])
            #expect(Date().timeIntervalSince(started) < 10)
            #expect(first.status == 3, "\(first.stderr)")
            #expect(first.stderr.contains("check --base-url"))
            #expect(try await requests(market) <= 20 + 64, "the probe's 20, and at most -c in flight besides")

            let second = try CancelRun.run(["--base-url", market.baseURL, "--resume", path, "--sink", "ndjson:+\(path)", "--sink", "summary", ids.path])
            #expect(second.status == 0, "\(second.stderr)")
            let final = try finalRecords(path)
            #expect(final.count == 300)
            #expect(final.values.allSatisfy { $0["outcome"]?.string == "cancelled" })
            #expect(try await market.stats()["requests"]?["cancel"]?.integer == 300)
        }

        @Test func theWrongAccountStopsAtOnceAndTheRightOneFinishesWithRetryOutcomes() async throws {
            let wrong = try MockProcess(["--not-owned", "1.0"])
            let ids = try IDFile(count: 300)
            let path = scratch.file("run.ndjson")
            let started = Date()
            let first = try CancelRun.run(["--base-url", wrong.baseURL, "--sink", "ndjson:+\(path)", ids.path])
            #expect(Date().timeIntervalSince(started) < 10)
            #expect(first.status == 3)
            #expect(first.stderr.contains("--retry-outcomes forbidden"))
            #expect(try await requests(wrong) <= 20 + 64, "the probe's 20, and at most -c in flight besides")

            let right = try MockProcess()
            let second = try CancelRun.run(["--base-url", right.baseURL, "--resume", path, "--retry-outcomes", "forbidden", "--sink", "ndjson:+\(path)", "--sink", "summary", ids.path])
            #expect(second.status == 0, "\(second.stderr)")
            #expect(try finalRecords(path).values.allSatisfy { $0["outcome"]?.string == "cancelled" })
            #expect(try await right.stats()["requests"]?["cancel"]?.integer == 300)
        }

        /// `(auth URL kind)`: nothing listens there, or a server that answers 404.
        @Test(arguments: ["closed port", "404"])
        func anUnreachableTokenEndpointAbortsBeforeAnyCancel(_ kind: String) async throws {
            let market = try MockProcess()
            let ids = try IDFile(count: 100)
            let authURL = kind == "404" ? market.baseURL + "/nope" : "http://127.0.0.1:1"
            let started = Date()
            let run = try CancelRun.run(["--base-url", market.baseURL, "--auth-url", authURL, "--sink", "ndjson:-", "--sink", "summary", ids.path],
                                        environment: ["ARKANE_CLIENT_ID": "mock-client", "ARKANE_CLIENT_SECRET": "mock-secret"])
            #expect(Date().timeIntervalSince(started) < 40)
            #expect(run.status == 3)
            #expect(try await market.stats()["requests"]?["cancel"] == nil, "no cancel was sent")
            #expect(run.stderr.contains("requests   0 sent"), "\(run.stderr)")
            #expect(run.stderr.contains("cannot get a token from"))
            // A refused port or a path with no token endpoint is one line naming the option, at
            // once: no retries for half a minute (the login that answers but fails gets those).
            #expect(run.stderr.contains("check --auth-url"), "\(run.stderr)")
            #expect(!run.stderr.contains("attempts in"), "not retried: \(run.stderr)")
            #expect(!run.stderr.contains("mock-secret"))
            #expect(outcomeCounts(try run.records()) == ["skipped": 100])
        }

        @Test func credentialsRevokedMidRunAbortAndLoseNothing() async throws {
            let market = try MockProcess(["--token-lifetime", "1", "--revoke-after", "2", "--latency-ms", "5"])
            let ids = try IDFile(count: 2000)
            let run = try CancelRun.run(["--base-url", market.baseURL, "--auth-url", market.baseURL, "--rate", "400/s", ids.path],
                                        environment: ["ARKANE_CLIENT_ID": "mock-client", "ARKANE_CLIENT_SECRET": "mock-secret"])
            #expect(run.status == 3)
            let records = try run.records()
            #expect(records.count == 2000)
            #expect(Set(records.compactMap { $0["seq"]?.integer }).count == 2000, "one record per item")
            let counts = outcomeCounts(records)
            #expect(Set(counts.keys).isSubset(of: ["cancelled", "skipped", "failed"]), "\(counts)")
            #expect(counts["skipped", default: 0] > 0)
            let cancels = try await market.stats()["cancelReplies"]?["cancelled"]?.integer ?? -1
            #expect(Int64(counts["cancelled", default: 0]) == cancels, "every cancel the market applied is recorded cancelled")
        }

        /// A record log is NDJSON or CSV records (a CSV one names `offerId` and `outcome`); a
        /// list of IDs, a CSV of IDs alone or an empty file is one line and exit 2.
        @Test(arguments: [("ids", "no readable record"), ("csv", "no outcome column"), ("empty", "no readable record")])
        func resumeRefusesWhatIsNotARecordLog(kind: String, message: String) throws {
            let ids = try IDFile(count: 5)
            let log = switch kind {
            case "ids": ids.path
            case "csv": try scratch.file("results.csv", "seq,offerId\r\n1,\(ids.ids[0])\r\n")
            default: try scratch.file("empty.ndjson", "")
            }
            let run = try CancelRun.run(["--dry-run", "--resume", log, ids.path])
            #expect(run.status == 2)
            #expect(run.stderr.contains(message) && run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
        }

        @Test func aResumedRunRecordsEachItemOnce() async throws {
            let market = try MockProcess()
            let ids = try IDFile(count: 40, extraLines: ["not-an-id", "also bad"])
            let path = scratch.file("run.ndjson")
            let input = try scratch.file("ids.txt", try String(contentsOfFile: ids.path, encoding: .utf8) + ids.ids.prefix(5).joined(separator: "\n") + "\n")
            let first = try CancelRun.run(["--base-url", market.baseURL, "--sink", "ndjson:+\(path)", input])
            #expect(first.status == 1, "invalid lines fail")
            let second = try CancelRun.run(["--base-url", market.baseURL, "--resume", path, "--sink", "ndjson:+\(path)", "--sink", "summary", input])
            #expect(second.status == 0)
            #expect(second.stderr.contains("40 cancelled, 2 invalid_id, 5 duplicate"), "\(second.stderr)")
            let records = try log(path)
            #expect(records.count == 47)
            #expect(Set(records.compactMap { $0["seq"]?.integer }).count == 47, "exactly one record per seq across both runs")
        }

        @Test func confirmingDoesNotSlowTheCancels() async throws {
            let market = try MockProcess(["--close-delay-ms", "2000", "--latency-ms", "5"])
            let ids = try IDFile(count: 300)
            let plain = try CancelRun.run(["--base-url", market.baseURL, "-c", "16", "--sink", "ndjson:-", ids.path])
            #expect(plain.status == 0)
            let plainWindow = try #require(try await market.stats()["cancelWindowSeconds"]?.number)

            let confirming = try MockProcess(["--close-delay-ms", "2000", "--latency-ms", "5"])
            let stats = scratch.file("stats.json")
            let run = try CancelRun.run(["--base-url", confirming.baseURL, "-c", "16", "--confirm", "--sink", "ndjson:-", "--sink", "summary-json:\(stats)", ids.path])
            #expect(run.status == 0)
            let window = try #require(try await confirming.stats()["cancelWindowSeconds"]?.number)
            #expect(window <= max(plainWindow * 3, 1.5), "cancels span \(window) s with --confirm, \(plainWindow) s without")
            #expect(try run.records().allSatisfy { $0["confirmed"]?.bool == true })
            let summary = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: stats))))
            #expect(summary["confirmed"]?.integer == 300)
            #expect(summary["confirmationMs"]?["p50"]?.number ?? 0 >= 2000)
        }

        @Test func anUnconfirmedCancelExitsOneAndBothSummariesSaySo() async throws {
            let market = try MockProcess(["--close-delay-ms", "5000"])
            let ids = try IDFile(count: 30)
            let stats = scratch.file("stats.json")
            let run = try CancelRun.run(["--base-url", market.baseURL, "--confirm", "--confirm-timeout", "1", "--sink", "ndjson:-", "--sink", "summary",
                                         "--sink", "summary-json:\(stats)", ids.path])
            #expect(run.status == 1)
            #expect(run.stderr.contains("30 not seen CLOSED"), "\(run.stderr)")
            let summary = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: stats))))
            #expect(summary["unconfirmed"]?.integer == 30)
            #expect(summary["confirmed"]?.integer == 0)
            #expect(try run.records().allSatisfy { $0["outcome"]?.string == "cancelled" && $0["confirmed"]?.bool == false })
        }
    }
}
