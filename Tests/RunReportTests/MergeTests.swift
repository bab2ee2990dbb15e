import JSONStream
import OfferCancelKit
import RunReport
import Testing
import TestSupport

/// `report`'s merge: one account per input item, however many runs recorded it.
@Suite struct MergeTests {
    /// A record line as the NDJSON sink writes it (only the fields a report reads).
    static func line(seq: Int?, source: String = "ids.txt", id: String, _ outcome: Outcome, status: Int? = nil, code: String? = nil,
                     attempts: Int = 1, latency: Double = 10, at second: Int = 0, confirmed: Bool? = nil) -> String {
        var record = CancelRecord(seq: seq ?? 0, source: source, line: seq ?? 0, offerId: id, outcome: outcome)
        record.httpStatus = status
        record.errorCode = code
        record.attempts = outcome.wasSent ? attempts : 0
        record.latencyMs = outcome.wasSent ? latency : nil
        let start = Timestamp(nanoseconds: 1_780_000_000_000_000_000 + Int64(second) * 1_000_000_000)
        record.startedAt = start
        record.finishedAt = Timestamp(nanoseconds: start.nanoseconds + 10_000_000)
        record.confirmed = confirmed
        var buffer = JSONWriteBuffer()
        record.appendJSON(to: &buffer, includeOffer: false)
        var text = String(decoding: buffer.bytes, as: UTF8.self)
        if seq == nil { text = text.replacing("\"seq\":0,", with: "") }
        return text + "\n"
    }

    static func report(_ logs: [String]) throws -> LogReport {
        let scratch = try Scratch()
        var report = LogReport()
        for (index, log) in logs.enumerated() { try report.read(path: try scratch.file("log-\(index).ndjson", log)) }
        return report
    }

    @Test func aResumedRunsRecordsOverrideTheFirstRuns() throws {
        let first = Self.line(seq: 1, id: "a", .cancelled, status: 200) + Self.line(seq: 2, id: "b", .failed, status: 500, code: "internal.error")
            + Self.line(seq: 3, id: "c", .skipped)
        let second = Self.line(seq: 2, id: "b", .cancelled, status: 200, attempts: 2, at: 60) + Self.line(seq: 3, id: "c", .cancelled, status: 200, at: 61)
        let report = try Self.report([first + second])
        let statistics = report.statistics
        #expect(statistics.total == 3)
        #expect(statistics.byOutcome == [.cancelled: 3])
        #expect(statistics.byHTTPStatus == [200: 3])
        #expect(statistics.errorCodes.isEmpty, "the failure was overridden")
        #expect(statistics.requests == 5, "every request made counts: 1 + 1 + 2 + 1")
        #expect(report.recordsRead == 5)
        #expect(report.runs == 2, "an item recorded again starts a new run")
        #expect(report.unsettledOfferIDs.isEmpty)
        #expect(report.activeSpans.count == 2, "the gap between the runs is not active time")
    }

    @Test func aSkippedRecordNeverReplacesAFinalAnswer() throws {
        let report = try Self.report([Self.line(seq: 1, id: "a", .cancelled, status: 200) + Self.line(seq: 1, id: "a", .skipped, at: 5)])
        #expect(report.statistics.byOutcome == [.cancelled: 1])
        #expect(report.unsettledCount == 0)
    }

    @Test func tornLinesAreCountedAndPassedOver() throws {
        let whole = Self.line(seq: 1, id: "a", .cancelled, status: 200)
        let torn = String(Self.line(seq: 2, id: "b", .cancelled, status: 200).prefix(40))
        let report = try Self.report([whole + torn + "\n" + "not json\n" + "{\"no\":\"record\"}\n" + Self.line(seq: 3, id: "c", .notFound, status: 404)])
        #expect(report.tornLines == 3)
        #expect(report.recordsRead == 2)
        #expect(report.statistics.byOutcome == [.cancelled: 1, .notFound: 1])
    }

    @Test func equalSeqsOfDifferentSourcesAreDifferentItems() throws {
        let log = Self.line(seq: 1, source: "a.txt", id: "x", .failed, status: 500) + Self.line(seq: 1, source: "b.csv", id: "y", .cancelled, status: 200)
        let report = try Self.report([log])
        #expect(report.statistics.total == 2)
        #expect(report.statistics.byOutcome == [.failed: 1, .cancelled: 1])
        #expect(report.unsettledOfferIDs == ["x"])
        #expect(report.runs == 1)
        #expect(report.sources == ["a.txt", "b.csv"])
    }

    @Test func recordsWithoutSeqMergeByOfferID() throws {
        let log = Self.line(seq: nil, id: "x", .failed, status: 500) + Self.line(seq: nil, id: "x", .cancelled, status: 200, at: 9)
            + Self.line(seq: nil, id: "y", .failed, status: 502)
        let report = try Self.report([log])
        #expect(report.statistics.byOutcome == [.cancelled: 1, .failed: 1])
        #expect(report.unsettledOfferIDs == ["y"])
    }

    /// Shards number items of one input alike (seq counts every item, each shard keeps its own):
    /// their logs merge into one account, one run each.
    @Test func shardLogsMerge() throws {
        let report = try Self.report([Self.line(seq: 1, id: "a", .cancelled, status: 200) + Self.line(seq: 4, id: "d", .cancelled, status: 200),
                                      Self.line(seq: 2, id: "b", .failed, status: 500) + Self.line(seq: 3, id: "c", .cancelled, status: 200)])
        #expect(report.statistics.total == 4)
        #expect(report.runs == 2)
        #expect(report.activeSpans.count == 1, "shards that run side by side overlap")
        #expect(report.unsettledOfferIDs == ["b"])
    }

    /// `report --failed | offer-cancel -`: the offers come back from stdin, as new items.
    @Test func anOfferSentAgainFromAnotherInputIsTheItemThatFailed() throws {
        let first = Self.line(seq: 1, id: "a", .cancelled, status: 200) + Self.line(seq: 2, id: "b", .failed, status: 500)
            + Self.line(seq: 3, id: "c", .failed, status: 500)
        let fedBack = Self.line(seq: 1, source: "-", id: "b", .cancelled, status: 200, at: 40) + Self.line(seq: 2, source: "-", id: "c", .failed, status: 502, at: 40)
        let again = Self.line(seq: 2, source: "-", id: "c", .cancelled, status: 200, at: 80)
        let report = try Self.report([first + fedBack + again])
        #expect(report.statistics.total == 3)
        #expect(report.statistics.byOutcome == [.cancelled: 3])
        #expect(report.unsettledCount == 0)
        #expect(report.runs == 3)
    }

    @Test func unsettledAreFailedSkippedAndUnconfirmedInInputOrder() throws {
        let log = Self.line(seq: 3, id: "c", .skipped) + Self.line(seq: 1, id: "a", .cancelled, status: 200, confirmed: false)
            + Self.line(seq: 2, id: "b", .notCancellable, status: 409) + Self.line(seq: 4, id: "d", .failed, status: 503)
            + Self.line(seq: 5, id: "e", .invalidID)
        #expect(try Self.report([log]).unsettledOfferIDs == ["a", "c", "d"])
    }

    @Test func errorExamplesAreOnlyItemsThatStillEndWithTheCode() throws {
        let log = Self.line(seq: 1, id: "a", .failed, status: 500, code: "internal.error") + Self.line(seq: 2, id: "b", .failed, status: 500, code: "internal.error")
            + Self.line(seq: 1, id: "a", .cancelled, status: 200, at: 30)
        let report = try Self.report([log])
        let codes = report.errorCodes(in: report.statistics)
        #expect(codes.map(\.code) == ["internal.error"])
        #expect(codes.first?.count == 1)
        #expect(codes.first?.exampleOfferIDs == ["b"])
    }

    /// The live summary and `report` count through one implementation: a one-run log gives
    /// the live run's statistics.
    @Test func aOneRunLogReportsWhatTheLiveSummaryCounted() throws {
        var live = RunStatistics()
        var log = ""
        for seq in 1...200 {
            let outcome: Outcome = [.cancelled, .alreadyClosed, .failed, .notFound][seq % 4]
            let status = [Outcome.cancelled: 200, .alreadyClosed: 409, .failed: 500, .notFound: 404][outcome]!
            var record = CancelRecord(seq: seq, source: "ids.txt", line: seq, offerId: "id-\(seq)", outcome: outcome)
            record.httpStatus = status
            record.attempts = seq % 3 + 1
            record.latencyMs = Double(seq)
            live.add(record)
            log += Self.line(seq: seq, id: "id-\(seq)", outcome, status: status, attempts: seq % 3 + 1, latency: Double(seq), at: seq / 20)
        }
        let merged = try Self.report([log]).statistics
        #expect(merged.byOutcome == live.byOutcome)
        #expect(merged.byHTTPStatus == live.byHTTPStatus)
        #expect(merged.requests == live.requests && merged.retries == live.retries)
        #expect(merged.latencyMs?.p99 == live.latencyMs?.p99)
    }
}
