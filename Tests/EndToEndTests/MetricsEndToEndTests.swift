import AsyncHTTPClient
import Foundation
import JSONStream
import Testing
import TestSupport

extension EndToEnd {
    /// `--metrics-listen` and `--metrics-textfile` on a real run: what Prometheus and
    /// node_exporter would read.
    @Suite(.serialized, .machineShare) struct MetricsEndToEndTests {
        let scratch: Scratch

        init() throws { scratch = try Scratch() }

        /// `GET url`: the status and the body.
        func get(_ url: String) async throws -> (status: UInt, body: String) {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 16 << 20)
            return (response.status.code, String(buffer: body))
        }

        /// Runs `promtool check metrics` (Debian's prometheus package) over `exposition`.
        func promtool(_ exposition: String) throws -> (status: Int32, output: String) {
            let path = scratch.file("scrape-\(UUID().uuidString).prom")
            try exposition.write(toFile: path, atomically: true, encoding: .utf8)
            let checked = try shell("promtool check metrics < \(path) 1>&2")
            return (checked.status, checked.stderr)
        }

        /// The value of the one sample `series` (name and labels as written) in `exposition`.
        func value(_ series: String, in exposition: String) -> Double? {
            exposition.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
        }

        /// A scrape in the middle of a paced run is a well-formed exposition that says the run
        /// is sending; at the end, the textfile's numbers are summary-json's.
        @Test func aScrapeMidRunPassesPromtoolAndTheEndAgreesWithTheSummary() async throws {
            let market = try MockProcess(["--fault-429", "0.05", "--seed", "3"])
            let ids = try IDFile(count: 1_500, extraLines: ["not-an-id"])
            let textfile = scratch.file("metrics.prom"), summary = scratch.file("summary.json")
            let run = try LiveRun(["--base-url", market.baseURL, "-q", "--rate", "300/s", "--shard", "1/1", "--metrics-listen", "127.0.0.1:0",
                                   "--metrics-textfile", textfile, "--sink", "ndjson:\(scratch.file("run.ndjson"))",
                                   "--sink", "summary-json:\(summary)", ids.path])
            #expect(run.wait(upTo: 60) { run.stderr.contains("/metrics") }, "\(run.stderr)")
            let url = try #require(run.stderr.split(separator: "\n").first { $0.contains("metrics: http://") }?.split(separator: " ").last.map(String.init))
            var scrape = ""
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline, (value(#"offer_cancel_records_total{outcome="cancelled",shard="1/1"}"#, in: scrape) ?? 0) == 0 {
                try await Task.sleep(for: .milliseconds(50))
                scrape = (try? await get(url).body) ?? ""
            }
            #expect((value(#"offer_cancel_records_total{outcome="cancelled",shard="1/1"}"#, in: scrape) ?? 0) > 0, "records counted while the run goes: \(scrape)")
            #expect(value(#"offer_cancel_up{shard="1/1"}"#, in: scrape) == 1)
            let checked = try promtool(scrape)
            #expect(checked.status == 0, "promtool check metrics: \(checked.output)")
            #expect(try await get(url.replacingOccurrences(of: "/metrics", with: "/other")).status == 404)

            #expect(run.waitForExit(upTo: 120) != nil)
            #expect(run.process.terminationStatus == 1, "one invalid ID: \(run.stderr)")
            let final = try String(contentsOfFile: textfile, encoding: .utf8)
            #expect(try promtool(final).status == 0)
            let document = try JSONValue.parse(String(contentsOfFile: summary, encoding: .utf8))
            for outcome in ["cancelled", "invalid_id", "failed"] {
                #expect(value("offer_cancel_records_total{outcome=\"\(outcome)\",shard=\"1/1\"}", in: final) == document["outcomes"]?[outcome]?.number,
                        "\(outcome)")
            }
            #expect(value(#"offer_cancel_requests_total{shard="1/1"}"#, in: final) == document["requests"]?.number)
            #expect(value(#"offer_cancel_retries_total{shard="1/1"}"#, in: final) == document["retries"]?.number)
            #expect(value(#"offer_cancel_throttled_replies_total{shard="1/1"}"#, in: final) == document["flow"]?["throttled"]?.number)
            #expect((value(#"offer_cancel_throttled_replies_total{shard="1/1"}"#, in: final) ?? 0) > 0, "the market did answer 429")
            #expect(value(#"offer_cancel_items_read_total{shard="1/1"}"#, in: final) == 1_501)
            #expect(value(#"offer_cancel_up{shard="1/1"}"#, in: final) == 0)
            #expect((value(#"offer_cancel_run_end_timestamp_seconds{shard="1/1"}"#, in: final) ?? 0) > 0)
            #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).allSatisfy { !$0.contains(".tmp-") }, "no temporary textfile left")
        }

        /// Scrapers that hang up mid-request, send garbage or never finish change nothing.
        @Test func scrapersThatMisbehaveChangeNothing() async throws {
            let market = try MockProcess(["--latency-ms", "20"])
            let ids = try IDFile(count: 2_000)
            // Paced, so that the run outlasts the scrapers on any build (4 s at least).
            let run = try LiveRun(["--base-url", market.baseURL, "-q", "--rate", "500/s", "--metrics-listen", "0", "--sink", "ndjson:-", ids.path])
            #expect(run.wait(upTo: 60) { run.stderr.contains("/metrics") }, "\(run.stderr)")
            let url = try #require(run.stderr.split(separator: "\n").first { $0.contains("metrics: http://") }?.split(separator: " ").last.map(String.init))
            let port = try #require(url.split(separator: ":").last?.split(separator: "/").first.map(String.init))
            let rude = try shell("""
                for i in $(seq 1 20); do
                  exec 3<>/dev/tcp/127.0.0.1/\(port); printf 'GET /metr' >&3; exec 3>&-
                  exec 3<>/dev/tcp/127.0.0.1/\(port); printf '\\x00\\xff garbage\\r\\n\\r\\n' >&3; exec 3>&-
                done
                exec 4<>/dev/tcp/127.0.0.1/\(port); printf 'GET /metrics HTTP/1.1\\r\\nHost: x\\r\\n' >&4
                """)
            #expect(rude.status == 0, "\(rude.stderr)")
            #expect(run.waitForExit(upTo: 120) != nil)
            #expect(run.process.terminationStatus == 0, "\(run.stderr)")
            #expect(run.stdoutLines.count == 2_000)
            #expect(try await market.stats()["cancelReplies"]?["cancelled"]?.integer == 2_000)
        }

        /// A port in use, an address not of this host, a textfile that would replace a record
        /// log: one line, exit 2, nothing sent.
        @Test func metricsThatCannotBeServedAreMisuseBeforeAnyCancel() async throws {
            let market = try MockProcess()
            let ids = try IDFile(count: 10)
            let busy = try #require(market.baseURL.split(separator: ":").last.map(String.init))
            let log = scratch.file("run.ndjson")
            try "{\"offerId\":\"\(ids.ids[0])\",\"outcome\":\"cancelled\"}\n".write(toFile: log, atomically: true, encoding: .utf8)
            for (arguments, message) in [
                (["--metrics-listen", busy], "--metrics-listen 127.0.0.1:\(busy)"),
                (["--metrics-listen", "192.0.2.1:9464"], "--metrics-listen 192.0.2.1:9464"),
                (["--metrics-listen", "host:port"], "expected [HOST:]PORT"),
                (["--metrics-textfile", log], "is not a metrics file"),
            ] {
                let run = try CancelRun.run(["--base-url", market.baseURL, "-q", "--sink", "ndjson:-"] + arguments + [ids.path])
                #expect(run.status == 2, "\(arguments): \(run.stderr)")
                #expect(run.stderr.contains(message) && run.stderr.split(separator: "\n").count == 1, "\(arguments): \(run.stderr)")
            }
            #expect((try await market.stats()["requests"]?["cancel"]?.integer ?? 0) == 0, "nothing was sent")
            #expect(try String(contentsOfFile: log, encoding: .utf8).hasPrefix("{"), "the log is untouched")
        }
    }
}
