import Histogram
import OfferCancelKit

/// Everything the summaries report, accumulated in constant memory.
///
/// Two kinds of fact go in: what became of each input item (``addItem(outcome:httpStatus:errorCode:confirmed:)``,
/// once per item) and what each record says was sent (``addRequests(attempts:latencyMs:confirmationMs:)``,
/// once per record). A live run adds both per record (``add(_:)``); `report` adds the requests
/// of every record it reads and the items once merged, so a resumed job counts each offer once
/// and every request that was really made.
public struct RunStatistics: Sendable {
    /// Items counted.
    public private(set) var total = 0
    public private(set) var byOutcome: [Outcome: Int] = [:]
    public private(set) var byHTTPStatus: [Int: Int] = [:]
    public private(set) var errorCodes: [String: Int] = [:]
    /// Requests beyond the first, summed over records.
    public private(set) var retries = 0
    public private(set) var requests = 0
    /// Latency of records whose item was sent, in microseconds.
    public private(set) var latency = Histogram<UInt64>(numberOfSignificantValueDigits: .three)
    /// With `--confirm`: accepted cancels seen CLOSED in time, and those not.
    public private(set) var confirmed = 0
    public private(set) var unconfirmed = 0
    /// Offers not seen CLOSED, by the status last read (`unread` when none was): a live run's
    /// records only. At most 16 statuses (`statusKinds`); the rest count as `other`.
    public private(set) var notClosedByStatus: [String: Int] = [:]
    static let statusKinds = 16
    /// From accepted cancel to CLOSED, in microseconds.
    public private(set) var confirmation = Histogram<UInt64>(numberOfSignificantValueDigits: .three)

    public init() {}

    /// One record of a live run: its item and its requests.
    public mutating func add(_ record: CancelRecord) {
        addItem(outcome: record.outcome, httpStatus: record.httpStatus, errorCode: record.errorCode, confirmed: record.confirmed)
        addRequests(attempts: record.attempts, latencyMs: record.latencyMs, confirmationMs: record.confirmed == true ? record.confirmationMs : nil)
        if record.confirmed == false {
            let status = record.offerStatus ?? "unread"
            let kind = notClosedByStatus[status] != nil || notClosedByStatus.count < Self.statusKinds ? status : "other"
            notClosedByStatus[kind, default: 0] += 1
        }
    }

    /// What became of one input item.
    public mutating func addItem(outcome: Outcome, httpStatus: Int?, errorCode: String?, confirmed: Bool?) {
        total += 1
        byOutcome[outcome, default: 0] += 1
        if let httpStatus { byHTTPStatus[httpStatus, default: 0] += 1 }
        if let errorCode { errorCodes[errorCode, default: 0] += 1 }
        switch confirmed {
        case true?: self.confirmed += 1
        case false?: unconfirmed += 1
        case nil: break
        }
    }

    /// What one record says was sent: `attempts` requests, the last taking `latencyMs`.
    public mutating func addRequests(attempts: Int, latencyMs: Double?, confirmationMs: Double? = nil) {
        requests += attempts
        retries += max(0, attempts - 1)
        if attempts > 0, let latencyMs { _ = latency.record(Self.micros(latencyMs)) }
        if let confirmationMs { _ = confirmation.record(Self.micros(confirmationMs)) }
    }

    /// Error codes by count, most frequent first (ties by name), at most `limit`.
    public func topErrorCodes(_ limit: Int = 5) -> [(code: String, count: Int)] {
        errorCodes.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .prefix(limit).map { (code: $0.key, count: $0.value) }
    }

    /// Items whose outcome is in the "ok" class.
    public var ok: Int { byOutcome.filter { $0.key.isOK }.values.reduce(0, +) }

    /// Latency percentiles in milliseconds: min, mean, p50, p90, p99, max; `nil` when nothing was sent.
    public var latencyMs: Percentiles? { Self.percentiles(latency) }

    /// Confirmation latency percentiles in milliseconds; `nil` when nothing was confirmed.
    public var confirmationMs: Percentiles? { Self.percentiles(confirmation) }

    /// Milliseconds: min, mean, p50, p90, p99, max.
    public typealias Percentiles = (min: Double, mean: Double, p50: Double, p90: Double, p99: Double, max: Double)

    private static func percentiles(_ histogram: Histogram<UInt64>) -> Percentiles? {
        guard histogram.totalCount > 0 else { return nil }
        let ms = { (micros: UInt64) in Double(micros) / 1000 }
        return (ms(histogram.min), histogram.mean / 1000, ms(histogram.valueAtPercentile(50)), ms(histogram.valueAtPercentile(90)),
                ms(histogram.valueAtPercentile(99)), ms(histogram.max))
    }

    private static func micros(_ ms: Double) -> UInt64 {
        ms.isFinite ? UInt64(min(max(ms * 1000, 1), 1e15)) : 1
    }
}
