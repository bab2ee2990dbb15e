import Foundation
import MarkdownReportSink
import OfferCancelKit
import Testing

@Suite struct MarkdownReportSinkTests {
    func record(_ seq: Int, _ outcome: Outcome, message: String? = nil) -> CancelRecord {
        var record = CancelRecord(seq: seq, source: "ids.txt", line: seq, offerId: "id-\(seq)", outcome: outcome)
        record.errorMessage = message
        record.httpStatus = outcome == .notFound ? 404 : nil
        return record
    }

    @Test func reportHasTotalsAndFailures() async throws {
        let path = NSTemporaryDirectory() + "report-\(UUID().uuidString).md"
        defer { try? FileManager.default.removeItem(atPath: path) }
        var sink = try MarkdownReportSink(path: path, failureLimit: 2)
        let start = Timestamp.now()
        try await sink.open(RunInfo(startedAt: start, inputs: ["ids.txt"], baseURL: "http://127.0.0.1:8080", concurrency: 4, dryRun: false, toolVersion: "t"))
        let records = [record(1, .cancelled), record(2, .notFound, message: "Offer | x\nnot found"), record(3, .invalidID, message: "not a UUID"),
                       record(4, .forbidden), record(5, .duplicate)]
        for record in records { try await sink.write(record) }
        try await sink.close(RunSummary(startedAt: start, finishedAt: .now(), counts: [:], interrupted: false, abortReason: nil))
        let report = try String(contentsOfFile: path, encoding: .utf8)
        #expect(report.hasPrefix("# Offer cancellation report\n"))
        #expect(report.contains("| cancelled | 1 |"))
        #expect(report.contains("| **total** | 5 |"))
        #expect(report.contains("| `id-2` | not_found | 404 | Offer \\| x not found | ids.txt:2 |"))
        #expect(report.contains("| `id-3` | invalid_id |  | not a UUID | ids.txt:3 |"))
        #expect(!report.contains("id-4`"), "beyond the failure limit")
        #expect(report.contains("…and 1 more not listed."))
    }

    @Test func registersItsScheme() throws {
        var registry = SinkRegistry()
        MarkdownReportSink.register(in: &registry)
        #expect(registry.sorted.map(\.scheme) == ["markdown"])
        #expect(throws: SinkSpecError.self) { try registry.makeSink(SinkSpec(scheme: "markdown"), context: SinkContext()) }
    }
}
