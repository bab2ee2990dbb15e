import Foundation
import JSONStream
import Testing
import TestSupport

extension EndToEnd {
    /// `--shard K/N`: N runs, each with its own record log, cover every item exactly once.
    @Suite(.serialized, .machineShare) struct ShardEndToEndTests {
        let scratch: Scratch

        init() throws { scratch = try Scratch() }

        /// The documented hash, computed here on its own: FNV-1a, 64 bits, of the UTF-8 text.
        static func shard(of text: String, count: Int) -> Int {
            var hash: UInt64 = 0xcbf29ce484222325
            for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100000001b3 }
            return Int(hash % UInt64(count)) + 1
        }

        @Test func threeShardsAreDisjointAndCoverTheInput() async throws {
            let market = try MockProcess()
            // Upper-case copies are the same offers (one shard, recorded duplicate); bad lines have a shard too.
            let ids = try IDFile(count: 300, extraLines: (0..<30).map { testID($0).uppercased() } + (0..<12).map { "not-an-id-\($0)" })
            let items = 342
            var seqs: [Int] = []
            for k in 1...3 {
                let log = scratch.file("shard-\(k).ndjson")
                let run = try CancelRun.run(["--base-url", market.baseURL, "--shard", "\(k)/3", "--sink", "ndjson:\(log)", ids.path])
                let records = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map { try JSONValue.parse(String($0)) }
                let outcomes = outcomeCounts(records)
                #expect(run.status == (outcomes["invalid_id"] == nil ? 0 : 1), "\(outcomes): \(run.stderr)")
                #expect(outcomes.keys.allSatisfy { ["cancelled", "duplicate", "invalid_id"].contains($0) }, "\(outcomes)")
                #expect(records.count > items / 6, "shard \(k) holds a fair share: \(records.count)")
                for record in records {
                    let text = try #require(record["offerId"]?.string)
                    #expect(Self.shard(of: text, count: 3) == k, "\(text) is in shard \(k)")
                }
                #expect(run.stderr.contains("shard \(k)/3: passed over \(items - records.count) items of other shards"), "\(run.stderr)")
                seqs += records.compactMap { $0["seq"]?.integer.map(Int.init) }
            }
            #expect(seqs.sorted() == Array(1...items), "every item has one record, in exactly one shard")
            // report merges the shard logs into the one job.
            let report = try CancelRun.run(["report", "--format", "json"] + (1...3).map { scratch.file("shard-\($0).ndjson") })
            #expect(report.status == 0, "\(report.stderr)")
            let merged = try JSONValue.parse(Array(report.stdout))
            #expect(merged["total"]?.integer == Int64(items))
            #expect(merged["runs"]?.integer == 3)
            #expect(merged["outcomes"]?["cancelled"]?.integer == 300)
            #expect(merged["outcomes"]?["duplicate"]?.integer == 30)
            #expect(merged["outcomes"]?["invalid_id"]?.integer == 12)
            let calls = try await market.stats()["cancelCalls"]
            #expect(calls?.count == 300)
            #expect(ids.ids.allSatisfy { calls?[$0]?.integer == 1 }, "every offer was cancelled once")
        }

        /// The README's recipe run by GNU parallel itself (Debian's `parallel`), four shards at
        /// once on this host against one market whose rate limit they share, watched by a real
        /// Prometheus (Debian's `prometheus`) scraping each shard's `--metrics-listen` every
        /// second: each offer is cancelled once, each ID has one record in one shard's log,
        /// `report` over the four logs counts the whole input, and so does Prometheus, asked
        /// through its HTTP API. A limit of 100 a second, which even four sanitized clients
        /// meet on two cores.
        @Test func gnuParallelRunsFourShardsThatCoverTheInputOnce() async throws {
            let market = try MockProcess(["--rate-limit", "100/s"])
            let ids = try IDFile(count: 1_000)
            let ports = try (0..<5).map { _ in try freePort() }
            let prometheus = try PrometheusProcess(scraping: ports.prefix(4).map { "127.0.0.1:\($0)" }, port: ports[4], folder: scratch.file("prometheus"))
            try await prometheus.waitUntilScraping()
            let log = scratch.file("shard-{1}.ndjson")
            let parallel = try shell("""
                parallel --will-cite --jobs 4 --link offer-cancel --base-url \(market.baseURL) -q --shard {1}/4 --sink ndjson:+\(log) \
                  --metrics-listen 127.0.0.1:{2} --metrics-linger 3 \(ids.path) ::: 1 2 3 4 ::: \(ports.prefix(4).map(String.init).joined(separator: " "))
                """)
            #expect(parallel.status == 0, "parallel's status is the number of shards that failed: \(parallel.stderr)")
            let logs = (1...4).map { scratch.file("shard-\($0).ndjson") }
            var recorded: [String: Int] = [:]
            for (index, path) in logs.enumerated() {
                let records = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { try JSONValue.parse(String($0)) }
                #expect(outcomeCounts(records).keys.sorted() == ["cancelled"], "shard \(index + 1): \(outcomeCounts(records))")
                for record in records { recorded[record["offerId"]?.string ?? "", default: 0] += 1 }
            }
            #expect(recorded.count == ids.ids.count && recorded.values.allSatisfy { $0 == 1 }, "one record per ID, in one shard")
            let stats = try await market.stats()
            #expect((stats["gateway"]?["rejected"]?.integer ?? 0) > 0, "the four shared one limit, and met it")
            #expect(ids.ids.allSatisfy { stats["cancelCalls"]?[$0]?.integer == 1 }, "every offer was cancelled once")
            let report = try CancelRun.run(["report", "--format", "json"] + logs)
            #expect(report.status == 0, "\(report.stderr)")
            let merged = try JSONValue.parse(Array(report.stdout))
            #expect(merged["total"]?.integer == Int64(ids.ids.count))
            #expect(merged["runs"]?.integer == 4)
            #expect(merged["outcomes"]?["cancelled"]?.integer == Int64(ids.ids.count))
            // Each shard's last scrape, after it ended (--metrics-linger), holds its totals.
            let total = try await prometheus.query("sum(max_over_time(offer_cancel_records_total[10m]))")
            #expect(total == Double(ids.ids.count), "Prometheus counted the job's records")
            let shards = try await prometheus.query("count(max_over_time(offer_cancel_up[10m]))")
            #expect(shards == 4, "one series of each shard")
        }

        /// A shard resumes from its own log alone, and the resume hint keeps the shard.
        @Test func aShardResumesFromItsOwnLog() throws {
            let market = try MockProcess()
            let ids = try IDFile(count: 200)
            let log = scratch.file("shard-2.ndjson")
            let first = try CancelRun.run(["--base-url", market.baseURL, "-q", "--shard", "2/4", "--sink", "ndjson:\(log)", ids.path])
            #expect(first.status == 0, "\(first.stderr)")
            let mine = ids.ids.filter { Self.shard(of: $0, count: 4) == 2 }
            #expect(lineCount(log) == mine.count)
            let again = try CancelRun.run(["--base-url", market.baseURL, "--resume", log, "--shard", "2/4", "--sink", "ndjson:+\(log)", ids.path])
            #expect(again.status == 0, "\(again.stderr)")
            #expect(lineCount(log) == mine.count, "nothing of this shard is left, and no other shard's item was taken")
            #expect(again.stderr.contains("passed over \(mine.count) items the log settled"), "\(again.stderr)")
        }

        @Test(arguments: ["0/3", "4/3", "1/0", "3", "a/b", "1/3/5", " 1/3", "1/3 "])
        func aShardThatDoesNotExistIsMisuse(shard: String) throws {
            let run = try CancelRun.run(["--mock", "--shard", shard, "-"], stdin: Data())
            #expect(run.status == 2)
            #expect(run.stderr.contains("--shard \(shard): expected K/N with 1 ≤ K ≤ N"), "\(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count == 1, "one line: \(run.stderr)")
        }
    }
}
