import NIOConcurrencyHelpers

/// Flow control for the whole run, shared by every worker: one place decides when the next
/// request may go, from what every reply said.
///
/// - A 429 or 503 pauses *every* worker until the moment its `Retry-After` names (one pause
///   per episode, however many requests were in flight); without one, a run-wide backoff that
///   doubles while episodes follow each other.
/// - Requests in flight are capped by an adaptive `ConcurrencyLimit` (`-c` is its maximum).
/// - After a 429 the run paces to an `AdaptiveRate` (`--rate` is a hard ceiling).
/// - Retries are paid from a `RetryBudget`; 429 and 503 retries are exempt, as they wait
///   out the pause and the pace, which already bound the load they add.
/// - A `CircuitBreaker` stops everything while the server fails, and probes with one request.
///
/// An episode is one congestion event: replies to requests sent before the last decrease
/// belong to it and change nothing more. `fixed` (`--fixed-concurrency`) turns all of it off
/// but the `--rate` ceiling: `-c` requests in flight, each worker backing off on its own.
public final class Governor: Sendable {
    /// What the governor may do.
    public struct Settings: Sendable {
        /// `-c`: requests in flight at most.
        public var maxConcurrency = 64
        /// `--fixed-concurrency`: no adaptation, no run-wide pause, no budget, no breaker.
        public var fixed = false
        /// `--rate`: requests per second at most.
        public var rateCeiling: Double?
        /// Longest pause a `Retry-After` may ask for.
        public var retryAfterCap: Duration = .seconds(60)
        /// Failures in a row that open the circuit breaker.
        public var breakerThreshold = 10

        public init() {}
    }

    /// Leave to send one request; give it back with ``Governor/release(_:_:now:)``.
    public struct Permit: Sendable {
        let issuedAt: ContinuousClock.Instant
        /// Requests in flight when it was granted (this one included).
        let inFlight: Int
        /// Whether it carries an item's first attempt (which earns the retry budget).
        let firstAttempt: Bool
        /// Time spent waiting for it.
        public let waited: Duration
    }

    /// What a caller of ``acquire`` does next.
    enum Decision: Equatable {
        /// Go at this instant (a concurrency slot is already taken).
        case go(at: ContinuousClock.Instant, inFlight: Int)
        /// Try again at this instant (a pause, or the breaker's cool-down).
        case sleep(until: ContinuousClock.Instant)
        /// Try again when a request in flight ends.
        case waitForRoom
        /// The run has halted.
        case closed
    }

    private struct State {
        var limit: ConcurrencyLimit
        var rate: AdaptiveRate
        var budget: RetryBudget
        var breaker: CircuitBreaker
        var inFlight = 0
        var pausedUntil: ContinuousClock.Instant?
        /// When sending last resumed after a pause (for measuring the accepted rate).
        var resumedAt: ContinuousClock.Instant
        /// The last congestion decrease: replies to requests sent before it are its echo.
        var episodeAt: ContinuousClock.Instant
        /// Pauses without `Retry-After` in a row, for the run-wide backoff.
        var backoffs = 0
        var nextSlot: ContinuousClock.Instant?
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
        var nextWaiter: UInt64 = 0
        var closed = false
        var statistics: FlowStatistics
    }

    public let settings: Settings
    private let state: NIOLockedValueBox<State>

    public init(settings: Settings, now: ContinuousClock.Instant = .now) {
        self.settings = settings
        let start = now - .seconds(1)
        state = NIOLockedValueBox(State(
            limit: ConcurrencyLimit(maximum: settings.maxConcurrency, initial: settings.fixed ? settings.maxConcurrency : 8),
            rate: AdaptiveRate(ceiling: settings.rateCeiling, now: now),
            budget: RetryBudget(now: now),
            breaker: CircuitBreaker(threshold: settings.breakerThreshold),
            resumedAt: now,
            episodeAt: start,
            statistics: FlowStatistics(start: now)
        ))
    }

    // MARK: Sending

    /// Waits until a request may go; `nil` when the run halts first.
    public func acquire(_ control: RunControl, firstAttempt: Bool = true) async -> Permit? {
        let clock = ContinuousClock()
        let started = clock.now
        while true {
            switch decide(now: clock.now) {
            case .closed:
                return nil
            case .go(let at, let inFlight):
                if at > clock.now {
                    guard await control.sleep(for: at - clock.now) else {
                        release(nil)
                        return nil
                    }
                    // A 429 may have paused the run while this one waited for its slot.
                    if isPaused(now: clock.now) {
                        release(nil)
                        continue
                    }
                }
                return Permit(issuedAt: clock.now, inFlight: inFlight, firstAttempt: firstAttempt, waited: clock.now - started)
            case .sleep(let until):
                guard await control.sleep(for: until - clock.now) else { return nil }
            case .waitForRoom:
                await waitForRoom()
            }
        }
    }

    /// The request sent under `permit` ended with `signal`.
    public func release(_ permit: Permit, _ signal: FlowSignal, now: ContinuousClock.Instant = .now) {
        release((permit, signal, now))
    }

    /// Gives `permit` back unused (nothing was sent).
    public func giveBack(_ permit: Permit) {
        release(nil)
    }

    /// Whether one more retry fits the budget (after a failure other than 429 and 503).
    public func mayRetry(now: ContinuousClock.Instant = .now) -> Bool {
        if settings.fixed { return true }
        return state.withLockedValue { state in
            let allowed = state.budget.withdraw(now: now)
            if !allowed { state.statistics.budgetExhausted += 1 }
            return allowed
        }
    }

    /// How long a request outside the worker pool (a confirmation poll) waits for the pause
    /// and the pace; it reserves its rate slot.
    public func paceDelay(now: ContinuousClock.Instant = .now) -> Duration {
        state.withLockedValue { state in
            var at = max(state.pausedUntil ?? now, now)
            if let rate = state.rate.current(now: now) { at = Self.reserveSlot(&state, rate: rate, from: at) }
            return at - now
        }
    }

    private func isPaused(now: ContinuousClock.Instant) -> Bool {
        state.withLockedValue { state in state.pausedUntil.map { $0 > now } ?? false }
    }

    /// Ends every wait: the run has halted.
    public func close() {
        let waiters = state.withLockedValue { state in
            state.closed = true
            defer { state.waiters = [] }
            return state.waiters
        }
        waiters.forEach { $0.continuation.resume() }
    }

    /// What the run looks like now.
    public var statistics: FlowStatistics {
        state.withLockedValue { state in
            var statistics = state.statistics
            statistics.concurrencyLimit = state.limit.current
            statistics.learnedRate = state.rate.learned
            statistics.inFlight = state.inFlight
            statistics.breakerTrips = state.breaker.trips
            return statistics
        }
    }

    // MARK: Decisions (synchronous, with the time passed in: the unit tests drive these)

    func decide(now: ContinuousClock.Instant) -> Decision {
        state.withLockedValue { state in
            if state.closed { return .closed }
            if let until = state.pausedUntil, until > now { return .sleep(until: until) }
            var probe = false
            if !settings.fixed {
                switch state.breaker.admit(now: now) {
                case .closed: break
                case .open(let until): return .sleep(until: until)
                case .probing: return .waitForRoom
                case .probe: probe = true
                }
            }
            if !probe, state.inFlight >= state.limit.current { return .waitForRoom }
            state.inFlight += 1
            state.statistics.sent(now: now, inFlight: state.inFlight, limit: state.limit.current)
            var at = now
            if let rate = state.rate.current(now: now) { at = Self.reserveSlot(&state, rate: rate, from: now) }
            return .go(at: at, inFlight: state.inFlight)
        }
    }

    private func release(_ ended: (permit: Permit, signal: FlowSignal, now: ContinuousClock.Instant)?) {
        let woken = state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
            state.inFlight -= 1
            if let ended { Self.learn(&state, from: ended.signal, permit: ended.permit, now: ended.now, settings: settings) }
            let room = max(0, state.limit.current - state.inFlight)
            let woken = state.waiters.prefix(max(room, state.breaker.isOpen ? state.waiters.count : 0))
            state.waiters.removeFirst(woken.count)
            return woken.map(\.continuation)
        }
        woken.forEach { $0.resume() }
    }

    private static func learn(_ state: inout State, from signal: FlowSignal, permit: Permit, now: ContinuousClock.Instant, settings: Settings) {
        let newEpisode = permit.issuedAt >= state.episodeAt
        state.statistics.received(signal, now: now)
        if permit.firstAttempt { state.budget.firstAttempt() }
        switch signal {
        case .healthy:
            state.rate.accepted(now: now)
            state.backoffs = 0
            guard !settings.fixed else { return }
            state.breaker.succeeded()
            state.limit.healthy(inFlight: permit.inFlight)
        case .throttled(let retryAfter), .overloaded(let retryAfter):
            guard !settings.fixed else { return }
            state.breaker.succeeded()  // the server answers: it is up, only busy
            var pauseEnd = now + (retryAfter.map { min(max($0, .zero), settings.retryAfterCap) } ?? .zero)
            if newEpisode {
                state.episodeAt = now
                state.statistics.pauses += 1
                state.limit.congested(factor: 0.5)
                if retryAfter == nil {
                    // A run-wide backoff: 250 ms, doubling while episodes follow each other, up to 8 s.
                    pauseEnd = now + .milliseconds(250) * (1 << min(state.backoffs, 5))
                    state.backoffs += 1
                }
                if case .throttled = signal { state.rate.throttled(now: now, since: state.resumedAt, resumingAt: pauseEnd) }
            }
            if pauseEnd > (state.pausedUntil ?? now) {
                state.statistics.pausedFor(from: max(state.pausedUntil ?? now, now), to: pauseEnd)
                state.pausedUntil = pauseEnd
                state.resumedAt = pauseEnd
                state.nextSlot = nil
            }
        case .timedOut, .failing:
            guard !settings.fixed else { return }
            state.breaker.failed(now: now)
            if case .timedOut = signal, newEpisode {
                state.episodeAt = now
                state.limit.congested(factor: 0.75)
            }
        }
    }

    /// Reserves the next free slot on the rate's even grid at or after `from`.
    private static func reserveSlot(_ state: inout State, rate: Double, from: ContinuousClock.Instant) -> ContinuousClock.Instant {
        let slot = max(state.nextSlot ?? from, from)
        state.nextSlot = slot + .nanoseconds(Int64(1e9 / max(rate, 0.001)))
        return slot
    }

    private func waitForRoom() async {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLockedValue { state in
                if state.closed || state.inFlight < state.limit.current && !state.breaker.isOpen { return true }
                state.nextWaiter += 1
                state.waiters.append((state.nextWaiter, continuation))
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }
}
