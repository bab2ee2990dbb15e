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

    public init() {}

    public mutating func add(_ record: CancelRecord) {
        total += 1
        byOutcome[record.outcome, default: 0] += 1
        if let status = record.httpStatus { byHTTPStatus[status, default: 0] += 1 }
        if let code = record.errorCode { errorCodes[code, default: 0] += 1 }
        requests += record.attempts
        retries += max(0, record.attempts - 1)
        if record.attempts > 0, let latencyMs = record.latencyMs {
            _ = latency.record(UInt64(max(latencyMs * 1000, 1)))
        }
    }

    /// Error codes by count, most frequent first (ties by name), at most `limit`.
    public func topErrorCodes(_ limit: Int = 5) -> [(code: String, count: Int)] {
        errorCodes.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .prefix(limit).map { (code: $0.key, count: $0.value) }
    }

    /// Latency percentiles in milliseconds: min, mean, p50, p90, p99, max; `nil` when nothing was sent.
    public var latencyMs: (min: Double, mean: Double, p50: Double, p90: Double, p99: Double, max: Double)? {
        guard latency.totalCount > 0 else { return nil }
        let ms = { (micros: UInt64) in Double(micros) / 1000 }
        return (ms(latency.min), latency.mean / 1000, ms(latency.valueAtPercentile(50)), ms(latency.valueAtPercentile(90)),
                ms(latency.valueAtPercentile(99)), ms(latency.max))
    }
}
