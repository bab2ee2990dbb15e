import CoreMetrics
import NIOConcurrencyHelpers
import OfferCancelKit
import Prometheus

/// A run's instruments for Prometheus, fed by its records and by samples of its flow control
/// and progress, and written in the text exposition format.
///
/// The instruments are swift-metrics' (`Counter`, `Gauge`, `Timer`), made through
/// `DescribedMetricsFactory` into a swift-prometheus registry, whose `emit(into:)` writes the
/// exposition. Names start `offer_cancel_`; every series carries `shard="K/N"` when the run has
/// a shard. Records, requests, retries, the last reply's status and latency are counted from
/// the records, as the summaries count them, so that the numbers agree with `summary-json` at
/// the end. The rest is sampled from the governor and the progress counters
/// (``sample(flow:progress:)``).
public final class RunMetrics: Sendable {
    /// The registry that holds the instruments; ``exposition()`` writes it.
    public let registry = PrometheusCollectorRegistry()
    private let factory: DescribedMetricsFactory
    private let labels: [(String, String)]
    private let records: [Outcome: CoreMetrics.Counter]
    private let requests: CoreMetrics.Counter
    private let retries: CoreMetrics.Counter
    private let replies: NIOLockedValueBox<[Int: CoreMetrics.Counter]>
    private let latency: CoreMetrics.Timer
    private let itemsRead: CoreMetrics.Counter
    private let throttled: CoreMetrics.Counter
    private let overloaded: CoreMetrics.Counter
    private let pauses: CoreMetrics.Counter
    private let inFlight: CoreMetrics.Gauge
    private let concurrencyLimit: CoreMetrics.Gauge
    private let learnedRate: CoreMetrics.Gauge
    private let up: CoreMetrics.Gauge
    private let startTime: CoreMetrics.Gauge
    private let endTime: CoreMetrics.Gauge
    /// The cumulative counts the last sample added, so a sample adds only what is new.
    private let sampled = NIOLockedValueBox(Sampled())

    /// The upper bounds of the latency histogram: the report's latency bins at each doubling,
    /// 0.1 ms to 105 s (`LatencyBins`' edges, so the two agree where they meet).
    public static let latencyBuckets: [Duration] = (0...20).map { .nanoseconds(Int64(100_000 * (1 << $0))) }

    /// Every metric's name and help text: the one place that says what each one means.
    static let help: [String: String] = [
        "offer_cancel_records_total": "Records written, by outcome: one per input item.",
        "offer_cancel_requests_total": "Requests the records say were sent, retries included.",
        "offer_cancel_retries_total": "Requests beyond each offer's first.",
        "offer_cancel_replies_total": "Each offer's last reply, by HTTP status (what the records' httpStatus say).",
        "offer_cancel_latency_seconds": "Latency of each offer's last request.",
        "offer_cancel_items_read_total": "Input items read so far.",
        "offer_cancel_throttled_replies_total": "Replies 429 (rate limited), retries included.",
        "offer_cancel_overloaded_replies_total": "Replies 503 (over capacity), retries included.",
        "offer_cancel_pauses_total": "Run-wide pauses after throttling episodes.",
        "offer_cancel_in_flight": "Requests sent and not yet answered.",
        "offer_cancel_concurrency_limit": "The adaptive concurrency limit.",
        "offer_cancel_learned_rate": "Requests per second learned from 429s; 0 while no limit was found.",
        "offer_cancel_up": "1 while the run is sending, 0 once it has ended.",
        "offer_cancel_run_start_timestamp_seconds": "When the run started, in seconds since the epoch.",
        "offer_cancel_run_end_timestamp_seconds": "When the run ended, in seconds since the epoch; 0 while it goes.",
    ]

    /// Instruments for a run; `shard` (`K/N`) labels every series.
    public init(shard: String? = nil) {
        let labels = shard.map { [("shard", $0)] } ?? []
        self.labels = labels
        let factory = DescribedMetricsFactory(registry: registry, help: Self.help, buckets: ["offer_cancel_latency_seconds": Self.latencyBuckets])
        self.factory = factory
        func counter(_ name: String) -> CoreMetrics.Counter { CoreMetrics.Counter(label: name, dimensions: labels, factory: factory) }
        func gauge(_ name: String) -> CoreMetrics.Gauge { CoreMetrics.Gauge(label: name, dimensions: labels, factory: factory) }
        records = Dictionary(uniqueKeysWithValues: Outcome.allCases.map { outcome in
            (outcome, CoreMetrics.Counter(label: "offer_cancel_records_total", dimensions: [("outcome", outcome.rawValue)] + labels, factory: factory))
        })
        requests = counter("offer_cancel_requests_total")
        retries = counter("offer_cancel_retries_total")
        replies = NIOLockedValueBox([:])
        latency = CoreMetrics.Timer(label: "offer_cancel_latency_seconds", dimensions: labels, factory: factory)
        itemsRead = counter("offer_cancel_items_read_total")
        throttled = counter("offer_cancel_throttled_replies_total")
        overloaded = counter("offer_cancel_overloaded_replies_total")
        pauses = counter("offer_cancel_pauses_total")
        inFlight = gauge("offer_cancel_in_flight")
        concurrencyLimit = gauge("offer_cancel_concurrency_limit")
        learnedRate = gauge("offer_cancel_learned_rate")
        up = gauge("offer_cancel_up")
        startTime = gauge("offer_cancel_run_start_timestamp_seconds")
        endTime = gauge("offer_cancel_run_end_timestamp_seconds")
    }

    /// The run started at `time`: it is sending.
    public func started(at time: Timestamp) {
        startTime.record(Double(time.nanoseconds) / 1e9)
        up.record(1.0)
    }

    /// The run ended at `time`: it sends no more.
    public func ended(at time: Timestamp) {
        endTime.record(Double(time.nanoseconds) / 1e9)
        up.record(0.0)
        inFlight.record(0.0)
    }

    /// Counts a batch of records.
    public func add(_ batch: [CancelRecord]) {
        for record in batch {
            records[record.outcome]?.increment()
            guard record.attempts > 0 else { continue }
            requests.increment(by: Int64(record.attempts))
            if record.attempts > 1 { retries.increment(by: Int64(record.attempts - 1)) }
            if let ms = record.latencyMs, ms.isFinite, ms >= 0 { latency.recordNanoseconds(Int64(ms * 1e6)) }
            if let status = record.httpStatus { reply(status).increment() }
        }
    }

    /// The counter of last replies with `status`, made on first use.
    private func reply(_ status: Int) -> CoreMetrics.Counter {
        replies.withLockedValue { replies in
            if let counter = replies[status] { return counter }
            let counter = CoreMetrics.Counter(label: "offer_cancel_replies_total", dimensions: [("status", String(status))] + labels, factory: factory)
            replies[status] = counter
            return counter
        }
    }

    /// Takes what flow control and the progress counters say now.
    public func sample(flow: FlowStatistics?, progress: RunProgress.Snapshot) {
        if let flow {
            inFlight.record(Double(flow.inFlight))
            concurrencyLimit.record(Double(flow.concurrencyLimit))
            learnedRate.record(flow.learnedRate ?? 0)
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
