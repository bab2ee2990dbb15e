/// What flow control saw and did: for the progress line, the summaries and summary-json.
public struct FlowStatistics: Sendable {
    /// One second of the run.
    public struct Second: Sendable, Equatable {
        public var sent = 0
        /// Replies that showed the server coping.
        public var ok = 0
        public var throttled = 0
        /// 503s, timeouts, connection failures, other 5xx.
        public var failed = 0
        /// Requests in flight at most, and the concurrency limit at the end of the second.
        public var inFlight = 0
        public var concurrencyLimit = 0
    }

    /// Every reply flow control learned from: cancels, the checks after an ambiguous failure,
    /// confirmation polls.
    public var replies = 0
    /// Replies 429 and 503.
    public var throttled = 0
    public var overloaded = 0
    /// Throttled replies that noise explained: retried on their own, no episode.
    public var isolated = 0
    /// Congestion episodes: the share of 429/503 above what noise explains.
    public var episodes = 0
    /// Run-wide pauses (an episode where most replies were refused), and their total length.
    public var pauses = 0
    public var paused: Duration = .zero
    /// Retries refused by the retry budget.
    public var budgetExhausted = 0
    public var breakerTrips = 0
    /// The adaptive concurrency limit, and the rate learned once a limit was found (`nil`:
    /// none found yet), as they are now.
    public var concurrencyLimit = 0
    public var learnedRate: Double?
    /// `--rate`, if set.
    public var rateCeiling: Double?
    /// The share of throttled replies read as noise (`CongestionDetector`).
    public var noiseFloor = 0.0
    /// Requests sent and not yet answered: not those still waiting for their slot of the pace.
    public var inFlight = 0
    /// Requests that have their permit and wait for their slot of the pace (`--rate`, or a
    /// rate learned from 429s).
    public var pacing = 0
    /// Per second since the run started.
    public private(set) var series: [Second] = []
    private let start: ContinuousClock.Instant

    init(start: ContinuousClock.Instant) { self.start = start }

    private mutating func second(_ now: ContinuousClock.Instant) -> Int {
        let index = max(0, Int((now - start).components.seconds))
        while series.count <= index {
            var next = Second()
            next.concurrencyLimit = series.last?.concurrencyLimit ?? 0
            series.append(next)
        }
        return index
    }

    mutating func sent(now: ContinuousClock.Instant, inFlight: Int, limit: Int) {
        let index = second(now)
        series[index].sent += 1
        series[index].inFlight = max(series[index].inFlight, inFlight)
        series[index].concurrencyLimit = limit
    }

    mutating func received(_ signal: FlowSignal, now: ContinuousClock.Instant) {
        let index = second(now)
        replies += 1
        switch signal {
        case .healthy: series[index].ok += 1
        case .throttled:
            throttled += 1
            series[index].throttled += 1
        case .overloaded:
            overloaded += 1
            series[index].failed += 1
        case .timedOut, .failing: series[index].failed += 1
        }
    }

    mutating func pausedFor(from: ContinuousClock.Instant, to: ContinuousClock.Instant) {
        paused += to - from
    }
}
