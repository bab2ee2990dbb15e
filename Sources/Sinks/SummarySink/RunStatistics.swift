import Histogram
import OfferCancelKit

/// Everything the summaries report, accumulated one record at a time in constant memory.
public struct RunStatistics: Sendable {
    public private(set) var total = 0
    public private(set) var byOutcome: [Outcome: Int] = [:]
    public private(set) var byHTTPStatus: [Int: Int] = [:]
    public private(set) var errorCodes: [String: Int] = [:]
    /// Requests beyond the first, summed over IDs.
    public private(set) var retries = 0
    public private(set) var requests = 0
    /// Latency of IDs that were sent, in microseconds.
    public private(set) var latency = Histogram<UInt64>(numberOfSignificantValueDigits: .three)
    /// With `--confirm`: accepted cancels seen CLOSED in time, and those not.
    public private(set) var confirmed = 0
    public private(set) var unconfirmed = 0
    /// From accepted cancel to CLOSED, in microseconds.
    public private(set) var confirmation = Histogram<UInt64>(numberOfSignificantValueDigits: .three)

    public init() {}

    public mutating func add(_ record: CancelRecord) {
        total += 1
        byOutcome[record.outcome, default: 0] += 1
        if let status = record.httpStatus { byHTTPStatus[status, default: 0] += 1 }
        if let code = record.errorCode { errorCodes[code, default: 0] += 1 }
        requests += record.attempts
        retries += max(0, record.attempts - 1)
        if record.attempts > 0, let latencyMs = record.latencyMs {
            _ = latency.record(Self.micros(latencyMs))
        }
        switch record.confirmed {
        case true?:
            confirmed += 1
            if let ms = record.confirmationMs { _ = confirmation.record(Self.micros(ms)) }
        case false?: unconfirmed += 1
        case nil: break
        }
    }

    /// Error codes by count, most frequent first (ties by name), at most `limit`.
    public func topErrorCodes(_ limit: Int = 5) -> [(code: String, count: Int)] {
        errorCodes.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .prefix(limit).map { (code: $0.key, count: $0.value) }
    }

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
