import Foundation
@testable import OfferCancelKit
@testable import RunMetrics
import Testing

@Suite struct RunMetricsTests {
    func text(_ metrics: RunMetrics) -> String { String(decoding: metrics.exposition(), as: UTF8.self) }

    @Test func recordsCountAsTheSummariesCountThem() {
        let metrics = RunMetrics(shard: "2/4")
        var cancelled = CancelRecord(seq: 1, source: "ids.txt", line: 1, offerId: "a", outcome: .cancelled)
        cancelled.attempts = 3
        cancelled.httpStatus = 200
        cancelled.latencyMs = 12
        let invalid = CancelRecord(seq: 2, source: "ids.txt", line: 2, offerId: "b", outcome: .invalidID)
        metrics.add([cancelled, invalid, cancelled])
        let exposition = text(metrics)
        #expect(exposition.contains(#"offer_cancel_records_total{outcome="cancelled",shard="2/4"} 2"#), "\(exposition)")
        #expect(exposition.contains(#"offer_cancel_records_total{outcome="invalid_id",shard="2/4"} 1"#))
        #expect(exposition.contains(#"offer_cancel_records_total{outcome="failed",shard="2/4"} 0"#), "every outcome has a series from the start")
        #expect(exposition.contains(#"offer_cancel_requests_total{shard="2/4"} 6"#))
        #expect(exposition.contains(#"offer_cancel_retries_total{shard="2/4"} 4"#))
        #expect(exposition.contains(#"offer_cancel_replies_total{status="200",shard="2/4"} 2"#))
        #expect(exposition.contains(#"offer_cancel_latency_seconds_count{shard="2/4"} 2"#))
        #expect(exposition.contains("# HELP offer_cancel_records_total "), "every metric has help text (promtool's lint asks for it)")
    }

    @Test func samplesAddOnlyWhatIsNew() {
        let metrics = RunMetrics()
        var flow = FlowStatistics(start: .now)
        flow.throttled = 5
        flow.concurrencyLimit = 12
        var progress = RunProgress.Snapshot()
        progress.read = 100
        metrics.sample(flow: flow, progress: progress)
        metrics.sample(flow: flow, progress: progress)
        flow.throttled = 7
        progress.read = 150
        metrics.sample(flow: flow, progress: progress)
        let exposition = text(metrics)
        #expect(exposition.contains("offer_cancel_throttled_replies_total 7"), "\(exposition)")
        #expect(exposition.contains("offer_cancel_items_read_total 150"))
        #expect(exposition.contains("offer_cancel_concurrency_limit 12"))
    }

    @Test(arguments: [
        ("9464", "127.0.0.1:9464"), (":9464", "127.0.0.1:9464"), ("0.0.0.0:9464", "0.0.0.0:9464"), ("[::1]:0", "[::1]:0"),
        ("localhost:80", "localhost:80"),
    ])
    func listenAddressesParse(text: String, parsed: String) {
        #expect(ListenAddress(text)?.description == parsed)
    }

    @Test(arguments: ["", ":", "host:", "65536", "-1", "::1:9464", "a:b", "9464 "])
    func badListenAddressesAreRefused(text: String) {
        #expect(ListenAddress(text) == nil)
    }

    @Test func aTextfileNeverReplacesAnotherFile() throws {
        let folder = NSTemporaryDirectory() + "metrics-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let log = folder + "/run.ndjson"
        try "{\"offerId\":\"a\"}\n".write(toFile: log, atomically: true, encoding: .utf8)
        #expect(throws: MetricsError.self) { try MetricsTextfile(path: log) }
        #expect(throws: MetricsError.self) { try MetricsTextfile(path: folder + "/missing/metrics.prom") }
        let path = folder + "/metrics.prom"
        let textfile = try MetricsTextfile(path: path)
        try textfile.write(RunMetrics().exposition())
        _ = try MetricsTextfile(path: path)  // its own file may be replaced
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["metrics.prom", "run.ndjson"], "no temporary file is left")
    }
}
