import JSONStream
import OfferCancelKit

/// Record logs read and merged into one account of a job: what `offer-cancel report` prints.
///
/// Reading streams: memory grows with the number of items (eight bytes each), the items not
/// settled and the error codes, never with the records' text. Every record counts towards
/// requests, latency and the time series (those requests were made); outcomes count each
/// item once, by its winning record: the last one, which a `skipped` record never replaces
/// after a final answer, and to which an offer sent again from another input belongs.
public struct LogReport {
    /// Lines that were records, and lines that were not (cut short by a crash, or not JSON).
    public private(set) var recordsRead = 0
    public private(set) var tornLines = 0
    /// The inputs read, in order.
    public private(set) var inputs: [String] = []
    /// Records over time, every run's.
    public private(set) var series = TimeSeries()
    /// The slowest records (by their last request's latency), slowest first.
    public private(set) var slowest: [CancelRecord.Logged] = []
    private var ledger = ItemLedger()
    private var requests = RunStatistics()

    /// What a report needs of each record.
    private static let fieldsRead = CancelRecord.Selection("seq", "source", "httpStatus", "attempts", "latencyMs", "waitMs",
                                                           "startedAt", "finishedAt", "errorCode", "errorMessage", "confirmed")

    /// How many slow records ``slowest`` keeps.
    public static let slowestKept = 10

    public init() {}

    /// Reads the record log at `path` (`-` for stdin), NDJSON or CSV, to its end.
    /// - Throws: ``ReportError`` when it cannot be opened or read.
    public mutating func read(path: String) throws(ReportError) {
        let input: ByteInput
        do {
            input = path == "-" ? ByteInput(fileDescriptor: 0, closeOnDeinit: false) : try ByteInput(path: path)
        } catch {
            throw ReportError(error.text)  // it names the path
        }
        do {
            let log = try RecordLogReader(input: input, path: path, reading: Self.fieldsRead)
            beginInput(path)
            while let entry = try log.next() {
                guard let record = entry.record else {
                    tornLines += 1
                    continue
                }
                add(record)
            }
        } catch {
            throw ReportError(error.message)
        }
    }

    /// The records that follow come from a new input (a new run, or another shard's log).
    public mutating func beginInput(_ name: String) {
        inputs.append(name)
        ledger.beginInput()
    }

    /// Counts one record.
    public mutating func add(_ record: CancelRecord.Logged) {
        recordsRead += 1
        ledger.add(record)
        requests.addRequests(attempts: record.attempts, latencyMs: record.latencyMs)
        series.add(record)
        if record.attempts > 0, let latency = record.latencyMs,
           slowest.count < Self.slowestKept || latency > (slowest.last?.latencyMs ?? 0) {
            let index = slowest.firstIndex { ($0.latencyMs ?? 0) < latency } ?? slowest.endIndex
            slowest.insert(record, at: index)
            if slowest.count > Self.slowestKept { slowest.removeLast() }
        }
    }

    /// Requests and latency from every record; outcomes, statuses and error codes from each
    /// item's winning record.
    public var statistics: RunStatistics {
        var statistics = requests
        ledger.countItems(into: &statistics)
        return statistics
    }

    /// Runs told apart: each input starts one, and so does an item recorded a second time.
    public var runs: Int { ledger.runs }

    /// The inputs' record sources (input files, `-`), in first-seen order.
    public var sources: [String] { ledger.sourceNames }

    /// The time the runs were active, their spans merged where they overlap (shards run side by
    /// side), in nanoseconds since 1970.
    public var activeSpans: [(start: Int64, end: Int64)] {
        var merged: [(start: Int64, end: Int64)] = []
        for span in ledger.runSpans.compactMap({ $0 }).sorted(by: { $0.start < $1.start }) {
            if let last = merged.last, span.start <= last.end {
                merged[merged.count - 1].end = max(last.end, span.end)
            } else {
                merged.append(span)
            }
        }
        return merged
    }

    /// Seconds the runs were active.
    public var activeSeconds: Double {
        Double(activeSpans.reduce(0) { $0 + ($1.end - $1.start) }) / 1e9
    }

    /// Offer IDs of the items not settled (failed, skipped, not confirmed), in input order.
    public var unsettledOfferIDs: [String] { ledger.unsettledOfferIDs }

    /// How many items are not settled.
    public var unsettledCount: Int { ledger.unsettledCount }

    /// One error code's account: how many items end with it, its first message, some offers.
    public struct ErrorCodeDetail: Sendable {
        public var code: String
        public var count: Int
        public var message: String?
        public var exampleOfferIDs: [String]
    }

    /// Every error code the items end with, most frequent first.
    public func errorCodes(in statistics: RunStatistics) -> [ErrorCodeDetail] {
        let details = ledger.errorDetails()
        return statistics.topErrorCodes(.max).map {
            ErrorCodeDetail(code: $0.code, count: $0.count, message: details[$0.code]?.message, exampleOfferIDs: details[$0.code]?.examples ?? [])
        }
    }

    /// A run summary for the shared renderers: from the first start, as long as the runs were active.
    public func summary(of statistics: RunStatistics) -> RunSummary {
        let start = activeSpans.first?.start ?? 0
        return RunSummary(
            startedAt: Timestamp(nanoseconds: start),
            finishedAt: Timestamp(nanoseconds: start + Int64(activeSeconds * 1e9)),
            counts: statistics.byOutcome, interrupted: false, abortReason: nil,
            recordsKept: statistics.total, confirmed: statistics.confirmed, unconfirmed: statistics.unconfirmed
        )
    }
}

/// A record log that could not be read: one line for the user.
public struct ReportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
