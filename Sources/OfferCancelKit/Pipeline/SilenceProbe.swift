import NIOConcurrencyHelpers

/// Notices a server that stopped answering — a socket that accepts and never replies, an API
/// that went dark mid-run — so that the run stops in about `window` attempts instead of
/// spending every item's attempts at `--timeout` each, one limit-narrowed slot at a time.
///
/// ``FailureProbe`` reads finished records; an item that times out takes `--max-attempts`
/// timeouts to finish, so this one watches attempts: when `window` in a row got no reply at
/// all (no status line: timeouts, refused or dropped connections) over at least two timeouts,
/// it trips. A burst of requests that time out together is one moment of silence, not two.
final class SilenceProbe: Sendable {
    /// Attempts in a row that trip it (`--probe`); 0 turns it off.
    let window: Int
    /// How long the silence must last as well: two `--timeout`s.
    let span: Duration
    private struct State {
        var count = 0
        var since: ContinuousClock.Instant?
        var tripped = false
    }

    private let state = NIOLockedValueBox(State())

    init(window: Int, timeout: Duration) {
        self.window = window
        span = timeout * 2
    }

    /// Takes one attempt's end; returns true the moment the silence is long enough.
    func observe(answered: Bool, now: ContinuousClock.Instant = .now) -> Bool {
        guard window > 0 else { return false }
        return state.withLockedValue { state in
            guard !answered else {
                (state.count, state.since) = (0, nil)
                return false
            }
            state.count += 1
            let since = state.since ?? now
            state.since = since
            guard !state.tripped, state.count >= window, now - since >= span else { return false }
            state.tripped = true
            return true
        }
    }
}
