import NIOConcurrencyHelpers

/// Whether a run may go on, shared by the command, the pipeline and every worker.
///
/// Two things end a run early, and both are one-way:
/// - **stop** (SIGINT, SIGTERM): read no more input, start no new attempt, retry, backoff or
///   confirmation poll; requests already in flight get the grace period;
/// - **abort** (credentials rejected, `--max-failures`, the last record-keeping sink lost):
///   send nothing more either, and the run exits 3; its first reason is kept. The rest of
///   the input is still read and recorded `skipped`, unless records can no longer be kept
///   (`stopReading`).
///
/// Waiting tasks are woken the moment either happens, so a backoff sleep or a blocked read
/// never outlives the decision.
public final class RunControl: Sendable {
    /// How far a run has come towards its end; it only moves forward.
    public enum Phase: Int, Comparable, Sendable {
        /// Reading and sending.
        case running
        /// Nothing new starts; requests in flight finish.
        case halted
        /// Requests still in flight are given up.
        case graceOver

        public static func < (lhs: Phase, rhs: Phase) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    private struct State {
        var phase = Phase.running
        var readingStopped = false
        var abortReason: String?
        /// Waits for `.halted` and for `.graceOver`.
        var haltWaiters = WaitList<Void>()
        var graceWaiters = WaitList<Void>()
        var onStop: [@Sendable () -> Void] = []
    }

    private let state = NIOLockedValueBox(State())

    public init() {}

    /// Stops reading and sending (a signal). Idempotent.
    public func stop() { advance(to: .halted) { $0.readingStopped = true } }

    /// Stops sending and marks the run aborted with `reason` (the first reason wins); with
    /// `stopReading`, reading stops too.
    public func abort(_ reason: String, stopReading: Bool = false) {
        advance(to: .halted) { state in
            if state.abortReason == nil { state.abortReason = reason }
            if stopReading { state.readingStopped = true }
        }
    }

    /// Requests still in flight are to be given up now (the grace period is over, or a second
    /// signal came). Implies ``stop()``.
    public func endGrace() { advance(to: .graceOver) }

    public var phase: Phase { state.withLockedValue { $0.phase } }

    /// True once the run must send nothing new.
    public var isHalted: Bool { phase >= .halted }

    /// True once no more input is to be read.
    public var isReadingStopped: Bool { state.withLockedValue { $0.readingStopped } }

    /// Why the run was aborted, if it was.
    public var abortReason: String? { state.withLockedValue { $0.abortReason } }

    /// Runs `action` once, when reading stops (at once if it has). It must not block.
    public func onReadingStopped(_ action: @escaping @Sendable () -> Void) {
        let already = state.withLockedValue { state in
            if state.readingStopped { return true }
            state.onStop.append(action)
            return false
        }
        if already { action() }
    }

    /// Returns when the run reaches `phase` (at once if it has), or when the task is cancelled.
    public func wait(until phase: Phase) async {
        if phase == .running { return }
        await state.wait(in: phase == .halted ? \.haltWaiters : \.graceWaiters, ready: { state in
            state.phase >= phase ? () : nil
        }, cancelled: ())
    }

    /// Sleeps for `duration` unless the run reaches `phase` (or the task is cancelled) first.
    /// Returns whether the whole time passed.
    public func sleep(for duration: Duration, unless phase: Phase = .halted) async -> Bool {
        if self.phase >= phase { return false }
        if duration <= .zero { return true }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask { (try? await Task.sleep(for: duration)) != nil }
            group.addTask {
                await self.wait(until: phase)
                return false
            }
            let slept = await group.next() ?? false
            group.cancelAll()
            return slept && self.phase < phase
        }
    }

    private func advance(to phase: Phase, _ change: (inout State) -> Void = { _ in }) {
        let (woken, actions) = state.withLockedValue { state in
            change(&state)
            if phase == .graceOver { state.readingStopped = true }
            state.phase = max(state.phase, phase)
            var woken = state.phase >= .halted ? state.haltWaiters.removeAll() : []
            if state.phase >= .graceOver { woken += state.graceWaiters.removeAll() }
            let actions = state.readingStopped ? state.onStop : []
            if state.readingStopped { state.onStop = [] }
            return (woken, actions)
        }
        woken.forEach { $0.resume() }
        actions.forEach { $0() }
    }
}
