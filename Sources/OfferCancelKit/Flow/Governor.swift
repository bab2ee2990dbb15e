import NIOConcurrencyHelpers

/// Flow control for the whole run, shared by every worker: one place decides when the next
/// request may go, from what every reply said.
///
/// - A 429 or 503 is congestion only when the share of them is above what noise explains
///   (`CongestionDetector`); an isolated one is noise, retried on that request's own backoff
///   (its `Retry-After` honoured) and paid from the retry budget.
/// - Congestion where a quarter or more of the window was refused pauses *every* worker until
///   the moment its `Retry-After` names (one pause per episode, however many requests were in
///   flight); without one, a run-wide backoff that doubles while episodes follow each other.
/// - Requests in flight are capped by an adaptive `ConcurrencyLimit` (`-c` is its maximum);
///   a 503 without `Retry-After` is a capacity met: the limit goes just under the most
///   requests in flight the server answered well, and nobody pauses unless a quarter of the
///   window was refused. Past a capacity already met, one such 503 is that capacity again:
///   the limit goes back to it at once, without waiting for a share.
/// - After a 429 episode the run paces to an `AdaptiveRate` (`--rate` is a hard ceiling).
/// - Retries are paid from a `RetryBudget`, except those of a congestion episode, which wait
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

    /// Leave to send one request; give it back with ``Governor/release(_:_:sentAmid:now:)``.
    public struct Permit: Sendable {
        let issuedAt: ContinuousClock.Instant
        /// Requests in flight when it was granted (this one included), or as the server could
        /// count them when its request came, once known (``Governor/release(_:_:sentAmid:now:)``);
        /// 0 for a request outside the limit (``Governor/observe(_:sentAt:now:)``).
        var inFlight: Int
        /// Whether it carries an item's first attempt (which earns the retry budget).
        let firstAttempt: Bool
        /// Time spent waiting for it.
        public let waited: Duration
    }

    /// How the sender of a request retries it, as flow control sees its reply.
    public enum Retry: Sendable, Equatable {
        /// On its own backoff (`Retry-After` honoured), if the retry budget allows
        /// (``Governor/mayRetry(_:now:)``): a reply that was not throttled, or any reply under
        /// `--fixed-concurrency`.
        case ownBackoff
        /// On its own backoff (its `Retry-After` honoured), already allowed: a throttled reply
        /// that noise explains (the governor paid its retry from the budget), or one of a
        /// congestion episode mild enough to be left to the rate cut, which bounds the load.
        case throttledBackoff
        /// At once: the reply belongs to a congestion episode, whose run-wide pause and pace
        /// hold the retry back; not paid from the budget.
        case afterPause

        /// Whether the attempt counts against `--max-attempts`: a reply the governor took as
        /// the server's pace, not its failure, is not the item's fault.
        public var countsAsAttempt: Bool { self == .ownBackoff }
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
        var detector: CongestionDetector
        var budget: RetryBudget
        var breaker: CircuitBreaker
        /// Permits out, those still waiting for their slot of the pace included: what the
        /// limit bounds.
        var inFlight = 0
        /// Permits waiting for their slot of the pace: not yet sent.
        var pacing = 0
        var pausedUntil: ContinuousClock.Instant?
        /// When sending last resumed after a pause (for measuring the accepted rate).
        var resumedAt: ContinuousClock.Instant
        /// The last congestion decrease: replies to requests sent before it are its echo.
        var episodeAt: ContinuousClock.Instant
        /// Pauses without `Retry-After` in a row, for the run-wide backoff.
        var backoffs = 0
        var nextSlot: ContinuousClock.Instant?
        var waiters = WaitList<Void>()
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
            detector: CongestionDetector(now: now),
            budget: RetryBudget(now: now),
            breaker: CircuitBreaker(threshold: settings.breakerThreshold),
            resumedAt: now,
            episodeAt: start,
            statistics: FlowStatistics(start: now)
        ))
    }

    // MARK: Sending

    /// Waits until a request may go; `nil` when the run halts (or the task is cancelled) first.
    public func acquire(_ control: RunControl, firstAttempt: Bool = true) async -> Permit? {
        let clock = ContinuousClock()
        let started = clock.now
        while true {
            switch decide(now: clock.now, firstAttempt: firstAttempt) {
            case .closed:
                return nil
            case .go(let at, let inFlight):
                if at > clock.now {
                    state.withLockedValue { $0.pacing += 1 }
                    let slept = await control.sleep(for: at - clock.now)
                    state.withLockedValue { $0.pacing -= 1 }
                    guard slept else {
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
                if Task.isCancelled { return nil }
            }
        }
    }

    /// The request sent under `permit` ended with `signal`; says how to retry it.
    ///
    /// `sentAmid`, when the client knows it (``MarketClient/Reply/sentAmid``), is how many of
    /// its requests the server could have been answering when this one came: the limit learns
    /// from it rather than from the permits out, which also count requests not yet written
    /// and replies not yet read. A client slower than the server keeps many of those, and a
    /// capacity learned from them is too high to hold the server under it.
    @discardableResult
    public func release(_ permit: Permit, _ signal: FlowSignal, sentAmid: Int? = nil, now: ContinuousClock.Instant = .now) -> Retry {
        var permit = permit
        if let sentAmid, permit.inFlight > 0 { permit.inFlight = sentAmid }
        return release((permit, signal, now))
    }

    /// Gives `permit` back unused (nothing was sent).
    public func giveBack(_ permit: Permit) {
        release(nil)
    }

    /// Whether the request whose reply said `retry` may be sent again: a throttled reply the
    /// governor already allowed (noise paid from the budget, or an episode's, which the pause
    /// and the pace bound) always may; any other withdraws from the retry budget. Under
    /// `--fixed-concurrency` every retry may.
    public func mayRetry(_ retry: Retry, now: ContinuousClock.Instant = .now) -> Bool {
        if settings.fixed || retry != .ownBackoff { return true }
        return state.withLockedValue { state in
            let allowed = state.budget.withdraw(now: now)
            if !allowed { state.statistics.budgetExhausted += 1 }
            return allowed
        }
    }

    /// A request sent outside the worker pool (a confirmation poll, at `sentAt`) ended with
    /// `signal`: the detector, the rate, the breaker and the statistics learn from it as from
    /// any reply. It held no slot of the concurrency limit, so it neither grows the limit nor
    /// says how many requests in flight a server refused at.
    public func observe(_ signal: FlowSignal, sentAt: ContinuousClock.Instant, now: ContinuousClock.Instant = .now) {
        state.withLockedValue { state in
            let permit = Permit(issuedAt: sentAt, inFlight: 0, firstAttempt: false, waited: .zero)
            _ = Self.learn(&state, from: signal, permit: permit, now: now, settings: settings)
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

    func isPaused(now: ContinuousClock.Instant) -> Bool {
        state.withLockedValue { state in state.pausedUntil.map { $0 > now } ?? false }
    }

    /// Ends every wait: the run has halted.
    public func close() {
        let waiters = state.withLockedValue { state in
            state.closed = true
            return state.waiters.removeAll()
        }
        waiters.forEach { $0.resume() }
    }

    /// What the run looks like now.
    public var statistics: FlowStatistics {
        state.withLockedValue { state in
            var statistics = state.statistics
            statistics.concurrencyLimit = state.limit.current
            statistics.learnedRate = state.rate.found
            statistics.noiseFloor = state.detector.noiseFloor
            statistics.rateCeiling = settings.rateCeiling
            statistics.inFlight = state.inFlight - state.pacing
            statistics.pacing = state.pacing
            statistics.breakerTrips = state.breaker.trips
            return statistics
        }
    }

    // MARK: Decisions (synchronous, with the time passed in: the unit tests drive these)

    /// Whether a request may go now. An open circuit breaker holds first attempts only: an item
    /// already sent retries on its own backoff (and the retry budget), so a server that stopped
    /// answering ends each item within its attempts, not after the breaker's cool-downs.
    func decide(now: ContinuousClock.Instant, firstAttempt: Bool = true) -> Decision {
        state.withLockedValue { state in
            if state.closed { return .closed }
            if let until = state.pausedUntil, until > now { return .sleep(until: until) }
            var probe = false
            if !settings.fixed, firstAttempt || !state.breaker.isOpen {
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

    @discardableResult
    private func release(_ ended: (permit: Permit, signal: FlowSignal, now: ContinuousClock.Instant)?) -> Retry {
        let (woken, retry) = state.withLockedValue { state -> ([CheckedContinuation<Void, Never>], Retry) in
            state.inFlight -= 1
            var retry = Retry.ownBackoff
            if let ended { retry = Self.learn(&state, from: ended.signal, permit: ended.permit, now: ended.now, settings: settings) }
            let room = max(0, state.limit.current - state.inFlight)
            return (state.waiters.removeFirst(max(room, state.breaker.isOpen ? state.waiters.count : 0)), retry)
        }
        woken.forEach { $0.resume() }
        return retry
    }

    private static func learn(_ state: inout State, from signal: FlowSignal, permit: Permit, now: ContinuousClock.Instant, settings: Settings) -> Retry {
        let newEpisode = permit.issuedAt >= state.episodeAt
        state.statistics.received(signal, now: now)
        if permit.firstAttempt { state.budget.firstAttempt() }
        var throttled = false, rateLimited = false
        if case .throttled = signal { (throttled, rateLimited) = (true, true) }
        if case .overloaded = signal { throttled = true }
        // The echo of an episode (replies to requests sent before it) is evidence already acted on.
        // In the rate's slow start the run probes just above a limit it has met: a 429 there
        // is that limit, not noise, and waiting for a share would only overshoot further.
        // A 503 past the capacity met before is that capacity again, not noise.
        let congested = newEpisode && (state.detector.observe(throttled: throttled, now: now) || rateLimited && state.rate.inSlowStart
            || signal == .overloaded(retryAfter: nil) && state.limit.meetsCapacityAgain(atInFlight: permit.inFlight))
        switch signal {
        case .healthy:
            state.rate.accepted(now: now)
            state.backoffs = 0
            guard !settings.fixed else { return .ownBackoff }
            state.breaker.succeeded()
            state.limit.healthy(inFlight: permit.inFlight)
        case .throttled(let retryAfter), .overloaded(let retryAfter):
            guard !settings.fixed else { return .ownBackoff }
            state.breaker.succeeded()  // the server answers: it is up, only busy
            return congestion(&state, signal: signal, retryAfter: retryAfter, inFlight: permit.inFlight, newEpisode: newEpisode, congested: congested,
                              now: now, settings: settings)
        case .timedOut, .failing:
            guard !settings.fixed else { return .ownBackoff }
            state.breaker.failed(now: now)
            if case .timedOut = signal, newEpisode {
                state.episodeAt = now
                state.limit.congested(factor: 0.75)
            }
        }
        return .ownBackoff
    }

    /// A 429 or 503: noise, unless the detector says congestion, a pause is under way, or the
    /// retry budget has nothing left for noise.
    /// Congestion starts an episode: the concurrency limit narrows, a 429 cuts the rate, and
    /// every worker pauses until its `Retry-After` (or the run-wide backoff) — unless the
    /// limit is already known (not the first episode, not the rate's slow start) and less than
    /// `pauseShare` of the window was refused: that milder excess is left to the rate cut,
    /// and the refused requests wait out their own `Retry-After`.
    ///
    /// A 503 without `Retry-After` is a server at its capacity in requests in flight, not in
    /// requests per second: the limit goes to `capacityCut` of the capacity just met (the most
    /// requests in flight answered well since the last refusal, below the refused request's
    /// own count), not to half of wherever it stood, and nobody pauses unless `pauseShare` of
    /// the window was refused — fewer requests in flight is the remedy.
    private static func congestion(_ state: inout State, signal: FlowSignal, retryAfter: Duration?, inFlight: Int, newEpisode: Bool, congested: Bool,
                                   now: ContinuousClock.Instant, settings: Settings) -> Retry {
        let paused = state.pausedUntil.map { $0 > now } ?? false
        // Noise is retried on its own, paid from the budget; past the budget it is load all the same.
        if !congested && !paused && state.budget.withdraw(now: now) {
            state.statistics.isolated += 1
            return .throttledBackoff
        }
        let share = state.detector.windowShare
        var pauseEnd: ContinuousClock.Instant?
        if newEpisode || paused {
            pauseEnd = now + (retryAfter.map { min(max($0, .zero), settings.retryAfterCap) } ?? .zero)
        }
        if newEpisode {
            state.episodeAt = now
            state.detector.episodeStarted(now: now)
            state.statistics.episodes += 1
            let atCapacity = if case .overloaded(retryAfter: nil) = signal { true } else { false }
            if atCapacity {
                state.limit.refused(atInFlight: inFlight, factor: capacityCut)
            } else {
                state.limit.congested(factor: 0.5)
            }
            // Mild, and the limit known: the rate cut will do. The first episode and the slow
            // start's overshoot (the rate doubling) pause every worker whatever the share.
            if share < pauseShare && !paused && (atCapacity || state.statistics.episodes > 1 && !state.rate.inSlowStart) {
                pauseEnd = nil
            } else if retryAfter == nil {
                // A run-wide backoff, doubling while episodes follow each other.
                state.backoffs += 1
                pauseEnd = now + runWideBackoff.ceiling(after: state.backoffs)
            }
            if case .throttled = signal { state.rate.throttled(now: now, since: state.resumedAt, resumingAt: pauseEnd ?? now) }
        }
        guard let pauseEnd else { return .throttledBackoff }
        if pauseEnd > (state.pausedUntil ?? now) {
            if !paused { state.statistics.pauses += 1 }
            state.statistics.pausedFor(from: max(state.pausedUntil ?? now, now), to: pauseEnd)
            state.pausedUntil = pauseEnd
            state.resumedAt = pauseEnd
            state.nextSlot = nil
        }
        return .afterPause
    }

    /// The pause of an episode without `Retry-After`: 250 ms, doubling while episodes follow
    /// each other, up to 8 s.
    static let runWideBackoff = Backoff(base: .milliseconds(250), cap: .seconds(8))

    /// The share of refused replies in the detector's window from which an episode pauses
    /// every worker instead of only cutting the rate and the limit (once the limit is known).
    static let pauseShare = 0.25

    /// Where a capacity episode (503 without `Retry-After`) puts the concurrency limit: this
    /// share of the capacity met.
    static let capacityCut = 0.8

    /// Reserves the next free slot on the rate's even grid at or after `from`.
    private static func reserveSlot(_ state: inout State, rate: Double, from: ContinuousClock.Instant) -> ContinuousClock.Instant {
        let slot = max(state.nextSlot ?? from, from)
        state.nextSlot = slot + .nanoseconds(Int64(1e9 / max(rate, 0.001)))
        return slot
    }

    /// Returns when a request in flight ends (or at once if there is room), or when the task
    /// is cancelled.
    private func waitForRoom() async {
        await state.wait(in: \.waiters, ready: { state in
            state.closed || state.inFlight < state.limit.current && !state.breaker.isOpen ? () : nil
        }, cancelled: ())
    }
}
