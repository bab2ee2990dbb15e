import CSVSink
import Foundation
import NDJSONSink
import OfferCancelKit
import NIOConcurrencyHelpers
import Testing
import TestSupport

/// Keeps what it is given; throws on its `failOn`-th record.
final class Recorder: Sendable {
    let records = NIOLockedValueBox<[Int]>([])
    let closed = NIOLockedValueBox(false)
}

struct RecordingSink: OfferSink {
    let recorder: Recorder
    var failOn: Int?
    var keepsRecords = true
    var written = 0

    func open(_ run: RunInfo) async throws {}

    mutating func write(_ record: CancelRecord) async throws {
        written += 1
        if written == failOn { throw SinkWriteError("disk full at record \(written)") }
        recorder.records.withLockedValue { $0.append(record.seq) }
    }

    func close(_ summary: RunSummary) async throws { recorder.closed.withLockedValue { $0 = true } }
}

final class Messages: Sendable {
    let lines = NIOLockedValueBox<[String]>([])
    func add(_ line: String) { lines.withLockedValue { $0.append(line) } }
}

@Suite struct SinkHubTests {
    /// A dry run of `count` IDs through the real pipeline into `sinks`.
    func dryRun(_ count: Int, sinks: [(String, any OfferSink)], messages: Messages) async throws -> RunResult {
        let scratch = try Scratch()
        let path = scratch.file("ids.txt")
        try (1...count).map { String(format: "%08x-0000-4000-8000-000000000000", $0) }.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let source = try IDSource.open([path], options: IDSourceOptions(validator: try IDValidator()))
        var hub = SinkHub(sinks.map { (name: $0.0, sink: $0.1) }, report: messages.add)
        let info = RunInfo(startedAt: .now(), inputs: [path], baseURL: "-", concurrency: 4, dryRun: true, toolVersion: "test")
        try await hub.open(info)
        return try await CancelPipeline(mode: .dryRun, concurrency: 4, settings: CancelSettings()).run(source: source, hub: &hub, info: info)
    }

    @Test func aSinkThatThrowsOnItsTenthRecordDoesNotStopTheOthers() async throws {
        let healthy = Recorder(), failing = Recorder(), messages = Messages()
        let result = try await dryRun(50, sinks: [
            ("csv:a.csv", RecordingSink(recorder: failing, failOn: 10)),
            ("ndjson:b.ndjson", RecordingSink(recorder: healthy)),
        ], messages: messages)
        #expect(healthy.records.withLockedValue { $0 } == Array(1...50))
        #expect(healthy.closed.withLockedValue { $0 })
        #expect(failing.records.withLockedValue { $0.count } == 9)
        #expect(!failing.closed.withLockedValue { $0 }, "a dropped sink is not driven further")
        let lines = messages.lines.withLockedValue { $0 }
        #expect(lines.count == 1, "reported once: \(lines)")
        #expect(lines.first?.contains("csv:a.csv") == true && lines.first?.contains("disk full at record 10") == true)
        #expect(result.exitStatus == 1, "records are ok, but a sink was lost")
        #expect(result.summary.total == 50)
    }

    @Test func losingTheOnlySinkAbortsTheRun() async throws {
        let failing = Recorder(), messages = Messages()
        let result = try await dryRun(500, sinks: [("exec:x", RecordingSink(recorder: failing, failOn: 10))], messages: messages)
        #expect(result.exitStatus == 3)
        #expect(result.summary.abortReason?.contains("last record-keeping sink (exec:x)") == true)
        #expect(result.summary.total < 500, "reading stops once nothing can record")
    }

    /// An aggregate that goes on counting does not keep the run going: records are what matter.
    @Test func losingTheLastRecordKeeperAbortsWhileAnAggregateIsLeft() async throws {
        let keeper = Recorder(), aggregate = Recorder(), messages = Messages()
        let result = try await dryRun(2000, sinks: [
            ("ndjson:-", RecordingSink(recorder: keeper, failOn: 10)),
            ("summary", RecordingSink(recorder: aggregate, keepsRecords: false)),
        ], messages: messages)
        #expect(result.exitStatus == 3)
        // Up to eight records a turn (a dry run at concurrency 4 reads twice that ahead, in
        // order): the sink failed in the batch holding record 10, and a sink that throws keeps
        // none of its batch.
        #expect((2...9).contains(result.summary.recordsKept), "\(result.summary.recordsKept)")
        #expect(result.summary.total < 2000, "reading stops at the loss")
        let unrecorded = messages.lines.withLockedValue { $0.filter { $0.hasPrefix("not recorded: ") } }
        #expect(unrecorded.isEmpty, "a dry run acts on no offer: nothing unrecorded to report")
        #expect(aggregate.closed.withLockedValue { $0 })
    }

    /// After the last record keeper is lost, each offer acted on (sent at least once) gets a
    /// "not recorded" line; an item never sent does not (it is absent from the log, and
    /// --resume sends it). Every unsent item used to get a line too.
    @Test func onlyOffersActedOnAreReportedAsNotRecorded() async throws {
        let messages = Messages()
        var hub = SinkHub([(name: "exec:head -1", sink: RecordingSink(recorder: Recorder(), failOn: 2))], report: messages.add)
        func record(_ seq: Int, _ outcome: Outcome, attempts: Int) -> CancelRecord {
            var record = CancelRecord(seq: seq, source: "ids.txt", line: seq, offerId: "id-\(seq)", outcome: outcome)
            record.attempts = attempts
            return record
        }
        try await hub.write(record(1, .cancelled, attempts: 1))
        await #expect(throws: SinkHubError.self) { try await hub.write(record(2, .cancelled, attempts: 1)) }
        try await hub.write(record(3, .cancelled, attempts: 2))
        try await hub.write(record(4, .skipped, attempts: 0))
        try await hub.write(record(5, .invalidID, attempts: 0))
        let unrecorded = messages.lines.withLockedValue { $0.filter { $0.hasPrefix("not recorded: ") } }
        #expect(unrecorded == ["not recorded: ids.txt:2 id-2 cancelled", "not recorded: ids.txt:3 id-3 cancelled"])
    }

    @Test func withoutRecordKeepersNothingIsLost() async throws {
        let aggregate = Recorder(), messages = Messages()
        let result = try await dryRun(50, sinks: [("summary", RecordingSink(recorder: aggregate, failOn: 5, keepsRecords: false))], messages: messages)
        #expect(result.exitStatus == 1, "a failing aggregate is reported and dropped, not an abort")
        #expect(result.summary.total == 50)
    }

    @Test func specsParse() throws {
        #expect(try SinkSpec(parsing: "csv:out.csv") == SinkSpec(scheme: "csv", target: "out.csv"))
        #expect(try SinkSpec(parsing: "summary") == SinkSpec(scheme: "summary", target: nil))
        #expect(try SinkSpec(parsing: "exec:jq -c 'select(.a:1)'") == SinkSpec(scheme: "exec", target: "jq -c 'select(.a:1)'"))
        #expect(throws: SinkSpecError.self) { try SinkSpec(parsing: ":x") }
        var registry = SinkRegistry()
        NDJSONSink.register(in: &registry)
        #expect(throws: SinkSpecError.self) { try registry.makeSink(SinkSpec(scheme: "nope"), context: SinkContext()) }
        #expect(registry.sorted.map(\.scheme) == ["ndjson"])
    }

    /// A sink's options are declared in its registry entry and checked before any sink is
    /// made: an undeclared key (a typo) or a value not of its kind is one clear error.
    @Test(arguments: [
        (["ndjson.include-offer": "true"], nil as String?),
        (["ndjson.include-offer": "no", "csv.columns": "seq, offerId,outcome"], nil),
        (["ndjson.include_offer": "true"], "no sink takes ndjson.include_offer; known: csv.columns, ndjson.include-offer"),
        (["ndjson.include-offer": "maybe"], "expected true or false"),
        (["csv.columns": " , "], "expected comma-separated names"),
        (["sample.limit": "x"], "expected a whole number"),
    ])
    func sinkOptionsAreCheckedAgainstTheirDeclarations(options: [String: String], problem: String?) {
        var registry = SinkRegistry()
        NDJSONSink.register(in: &registry)
        CSVSink.register(in: &registry)
        registry.register("sample", help: "a sink with a number", options: [.init("sample.limit", .integer, help: "at most")]) { _, _ in
            RecordingSink(recorder: Recorder())
        }
        do {
            try registry.check(options)
            #expect(problem == nil)
        } catch {
            #expect(problem.map { error.message.contains($0) } == true, "\(error.message)")
        }
        var context = SinkContext()
        context.options = ["csv.columns": "seq, ,offerId", "ndjson.include-offer": "YES", "sample.limit": "7"]
        #expect(context.list("csv.columns") == ["seq", "offerId"])
        #expect(context.flag("ndjson.include-offer") && !context.flag("exec.include-offer"))
        #expect(context.integer("sample.limit") == 7)
    }
}
