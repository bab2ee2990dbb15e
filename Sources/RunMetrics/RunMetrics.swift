import NIOConcurrencyHelpers
import OfferCancelKit
import Prometheus

/// A run's instruments for Prometheus (swift-prometheus), fed by its records and by samples of
/// its flow control and progress, and written in the text exposition format.
///
/// Names start `offer_cancel_`; every series carries `shard="K/N"` when the run has a shard.
/// Records, requests, retries, the last reply's status and latency are counted from the
/// records, as the summaries count them, so that the numbers agree with `summary-json` at the
/// end. The rest is sampled from the governor and the progress counters (``sample(flow:progress:)``).
public final class RunMetrics: Sendable {
    /// The registry that holds the instruments; ``exposition()`` writes it.
    public let registry = PrometheusCollectorRegistry()
    private let labels: [(String, String)]
    private let records: [Outcome: Counter]
    private let requests: Counter
    private let retries: Counter
    private let replies: NIOLockedValueBox<[Int: Counter]>
    private let latency: DurationHistogram
    private let itemsRead: Counter
    private let throttled: Counter
    private let overloaded: Counter
    private let pauses: Counter
    private let inFlight: Gauge
    private let concurrencyLimit: Gauge
    private let learnedRate: Gauge
    private let up: Gauge
    private let startTime: Gauge
    private let endTime: Gauge
    /// The cumulative counts the last sample added, so a sample adds only what is new.
    private let sampled = NIOLockedValueBox(Sampled())

    /// The upper bounds of the latency histogram: the report's latency bins at each doubling,
    /// 0.1 ms to 105 s (``LatencyBins``' edges, so the two agree where they meet).
    public static let latencyBuckets: [Duration] = (0...20).map { .nanoseconds(Int64(100_000 * (1 << $0))) }

    /// Instruments for a run; `shard` (`K/N`) labels every series.
    public init(shard: String? = nil) {
        let labels = shard.map { [("shard", $0)] } ?? []
        self.labels = labels
        let registry = registry
        func name(_ metricName: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "offer_cancel", metricName: metricName, unitName: unit, helpText: help)
        }
        let recordsName = name("records", "total", "Records written, by outcome: one per input item.")
        records = Dictionary(uniqueKeysWithValues: Outcome.allCases.map { outcome in
            (outcome, registry.makeCounter(descriptor: recordsName, labels: [("outcome", outcome.rawValue)] + labels))
        })
        requests = registry.makeCounter(descriptor: name("requests", "total", "Requests the records say were sent, retries included."), labels: labels)
        retries = registry.makeCounter(descriptor: name("retries", "total", "Requests beyond each offer's first."), labels: labels)
        replies = NIOLockedValueBox([:])
        latency = registry.makeDurationHistogram(
            descriptor: name("latency", "seconds", "Latency of each offer's last request."), labels: labels, buckets: Self.latencyBuckets)
        itemsRead = registry.makeCounter(descriptor: name("items_read", "total", "Input items read so far."), labels: labels)
        throttled = registry.makeCounter(descriptor: name("throttled_replies", "total", "Replies 429 (rate limited), retries included."), labels: labels)
        overloaded = registry.makeCounter(descriptor: name("overloaded_replies", "total", "Replies 503 (over capacity), retries included."), labels: labels)
        pauses = registry.makeCounter(descriptor: name("pauses", "total", "Run-wide pauses after throttling episodes."), labels: labels)
        inFlight = registry.makeGauge(descriptor: name("in_flight", "", "Requests sent and not yet answered."), labels: labels)
        concurrencyLimit = registry.makeGauge(descriptor: name("concurrency_limit", "", "The adaptive concurrency limit."), labels: labels)
        learnedRate = registry.makeGauge(
            descriptor: name("learned_rate", "", "Requests per second learned from 429s; 0 while no limit was found."), labels: labels)
        up = registry.makeGauge(descriptor: name("up", "", "1 while the run is sending, 0 once it has ended."), labels: labels)
        startTime = registry.makeGauge(descriptor: name("run_start", "timestamp_seconds", "When the run started, in seconds since the epoch."), labels: labels)
        endTime = registry.makeGauge(
            descriptor: name("run_end", "timestamp_seconds", "When the run ended, in seconds since the epoch; 0 while it goes."), labels: labels)
    }

    /// The run started at `time`: it is sending.
    public func started(at time: Timestamp) {
        startTime.set(Double(time.nanoseconds) / 1e9)
        up.set(1.0)
    }

    /// The run ended at `time`: it sends no more.
    public func ended(at time: Timestamp) {
        endTime.set(Double(time.nanoseconds) / 1e9)
        up.set(0.0)
        inFlight.set(0.0)
    }

    /// Counts a batch of records.
    public func add(_ batch: [CancelRecord]) {
        for record in batch {
            records[record.outcome]?.increment()
            guard record.attempts > 0 else { continue }
            requests.increment(by: Int64(record.attempts))
            if record.attempts > 1 { retries.increment(by: Int64(record.attempts - 1)) }
            if let ms = record.latencyMs, ms.isFinite, ms >= 0 { latency.record(.nanoseconds(Int64(ms * 1e6))) }
            if let status = record.httpStatus { reply(status).increment() }
        }
    }

    /// The counter of last replies with `status`, made on first use.
    private func reply(_ status: Int) -> Counter {
        replies.withLockedValue { replies in
            if let counter = replies[status] { return counter }
            let counter = registry.makeCounter(
                descriptor: MetricNameDescriptor(namespace: "offer_cancel", metricName: "replies", unitName: "total",
                                                 helpText: "Each offer's last reply, by HTTP status (what the records' httpStatus say)."),
                labels: [("status", String(status))] + labels)
            replies[status] = counter
            return counter
        }
    }

    /// Takes what flow control and the progress counters say now.
    public func sample(flow: FlowStatistics?, progress: RunProgress.Snapshot) {
        if let flow {
            inFlight.set(Double(flow.inFlight))
            concurrencyLimit.set(Double(flow.concurrencyLimit))
            learnedRate.set(flow.learnedRate ?? 0)
        }
        let now = Sampled(read: progress.read, throttled: flow?.throttled ?? 0, overloaded: flow?.overloaded ?? 0, pauses: flow?.pauses ?? 0)
        // What is new since the last sample, taken under the lock so that no count is added twice.
        let new = sampled.withLockedValue { last in
            defer { last = Sampled(read: max(last.read, now.read), throttled: max(last.throttled, now.throttled),
                                   overloaded: max(last.overloaded, now.overloaded), pauses: max(last.pauses, now.pauses)) }
            return Sampled(read: now.read - last.read, throttled: now.throttled - last.throttled,
                           overloaded: now.overloaded - last.overloaded, pauses: now.pauses - last.pauses)
        }
        if new.read > 0 { itemsRead.increment(by: Int64(new.read)) }
        if new.throttled > 0 { throttled.increment(by: Int64(new.throttled)) }
        if new.overloaded > 0 { overloaded.increment(by: Int64(new.overloaded)) }
        if new.pauses > 0 { pauses.increment(by: Int64(new.pauses)) }
    }

    /// The cumulative counts a sample reads (or, between two samples, what they added).
    private struct Sampled {
        var read = 0, throttled = 0, overloaded = 0, pauses = 0
    }

    /// The instruments in the Prometheus text exposition format (version 0.0.4).
    public func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}
