import OfferCancelKit
import RunReport
import Testing

/// Per-second aggregation: the charts' data, in bounded memory.
@Suite struct TimeSeriesTests {
    static let origin: Int64 = 1_780_000_000

    static func record(second: Double, _ outcome: Outcome = .cancelled, status: Int = 200, attempts: Int = 1, latency: Double = 20, wait: Double = 0) -> CancelRecord.Logged {
        var record = CancelRecord(seq: 0, source: "", line: 0, offerId: "x", outcome: outcome)
        record.finishedAt = Timestamp(nanoseconds: Int64((Double(origin) + second) * 1e9))
        record.httpStatus = status
        record.attempts = attempts
        record.latencyMs = latency
        record.waitMs = wait
        return CancelRecord.Logged(record, holdsPlace: false)
    }

    @Test func recordsLandInTheSecondTheyFinished() {
        var series = TimeSeries()
        for tenth in 0..<30 { series.add(Self.record(second: Double(tenth) / 10)) }  // 10 per second, seconds 0–2
        series.add(Self.record(second: 5.5, .failed, status: 429, attempts: 3, wait: 900))
        let timeline = series.timeline
        #expect(series.width == 1)
        #expect(timeline.map(\.start) == Array(Self.origin...Self.origin + 5), "empty seconds are in the timeline")
        #expect(timeline.map(\.slot.records) == [10, 10, 10, 0, 0, 1])
        let last = timeline[5].slot
        #expect(last.failed == 1 && last.throttled == 1 && last.requests == 3 && last.retries == 2 && last.waitMs == 900)
    }

    @Test func recordsNeverSentAreNotInTheSeries() {
        var series = TimeSeries()
        var invalid = Self.record(second: 1, .invalidID)
        invalid.attempts = 0
        series.add(invalid)
        #expect(series.timeline.isEmpty)
    }

    @Test func aLongJobWidensItsSlotsAndKeepsEveryRecord() {
        var series = TimeSeries()
        let seconds = 10 * TimeSeries.maxSlots
        for second in stride(from: 0, to: seconds, by: 3) { series.add(Self.record(second: Double(second))) }
        #expect(series.width == 16, "18,000 s in at most 1,800 slots: 16 s each")
        #expect(series.timeline.count <= TimeSeries.maxSlots)
        #expect(series.timeline.reduce(0) { $0 + $1.slot.records } == (seconds + 2) / 3)
    }

    @Test(arguments: [(50.0, 20.0), (90.0, 100.0), (100.0, 1000.0)])
    func latencyPercentilesComeFromTheBins(percentile: Double, expected: Double) throws {
        var bins = LatencyBins()
        for _ in 0..<89 { bins.add(20) }
        for _ in 0..<10 { bins.add(100) }
        bins.add(1000)
        let value = try #require(bins.percentile(percentile))
        #expect(value >= expected && value < expected * 1.19, "the bin's upper edge, within a quarter octave: \(value)")
    }

    @Test(arguments: ["2026-11-25T08:30:00.123Z", "2026-11-25T08:30:00Z", "2026-11-25T09:30:00.123456789+01:00", "2026-11-25t08:30:00.1z"])
    func timestampsReadBack(text: String) throws {
        let timestamp = try #require(Timestamp(rfc3339: text))
        #expect(timestamp.rfc3339.hasPrefix("2026-11-25T08:30:00."))
    }

    @Test(arguments: ["", "2026-11-25", "2026-13-25T08:30:00Z", "2026-11-25T08:30:00", "2026-11-25T08:30:00.Z", "2026-11-25T08:30:00Zjunk"])
    func otherTextIsNotATimestamp(text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
    }
}
