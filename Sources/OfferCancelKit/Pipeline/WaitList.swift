import NIOConcurrencyHelpers

/// Suspended tasks waiting their turn, first in, first out — kept inside the state its owner's
/// lock guards, so that the owner decides under that lock whom to wake, and resumes them after
/// unlocking (a continuation is never resumed under a lock).
///
/// The governor's waits for room, the confirmation stage's poll slots, the run's phases and the
/// input queue's consumer all wait in one. ``NIOLockedValueBox/wait(in:ticket:ready:cancelled:)``
/// is the wait itself: it honours task cancellation.
struct WaitList<Value: Sendable>: Sendable {
    typealias Continuation = CheckedContinuation<Value, Never>
    /// Names one wait, so that a timeout or a cancellation takes out exactly that one.
    struct Ticket: Hashable, Sendable { fileprivate let number: UInt64 }

    private var waiting: [(ticket: Ticket, continuation: Continuation)] = []
    private var issued: UInt64 = 0

    init() {}

    var isEmpty: Bool { waiting.isEmpty }
    var count: Int { waiting.count }

    /// A ticket for a wait about to begin (taken before suspending, so that a cancellation
    /// handler that runs first can name it).
    mutating func ticket() -> Ticket {
        issued += 1
        return Ticket(number: issued)
    }

    /// Queues `continuation` last.
    mutating func append(_ continuation: Continuation, ticket: Ticket) {
        waiting.append((ticket, continuation))
    }

    /// Takes out the first `count` waiting (fewer if fewer wait), in the order they came.
    mutating func removeFirst(_ count: Int = 1) -> [Continuation] {
        let taken = waiting.prefix(max(0, count)).map(\.continuation)
        waiting.removeFirst(taken.count)
        return taken
    }

    /// Takes out the first wait, if any (no array: the hand-overs of the run's loop call it
    /// once per request).
    mutating func popFirst() -> Continuation? {
        waiting.isEmpty ? nil : waiting.removeFirst().continuation
    }

    /// Takes out every wait.
    mutating func removeAll() -> [Continuation] { removeFirst(waiting.count) }

    /// Takes out the wait `ticket` names, if it still waits.
    mutating func remove(_ ticket: Ticket) -> Continuation? {
        waiting.firstIndex { $0.ticket == ticket }.map { waiting.remove(at: $0).continuation }
    }
}

extension NIOLockedValueBox where Value: Sendable {
    /// Waits in the list at `list` until its owner resumes this wait with a value — unless
    /// `ready` gives one at once (both under the lock). A task cancelled before or while it
    /// waits returns `cancelled`. `ticket`, from the list's ``WaitList/ticket()``, lets a
    /// timeout take this wait out.
    func wait<Waited: Sendable>(
        in list: any WritableKeyPath<Value, WaitList<Waited>> & Sendable,
        ticket: WaitList<Waited>.Ticket? = nil,
        ready: (inout Value) -> Waited?,
        cancelled: Waited
    ) async -> Waited {
        let ticket = ticket ?? withLockedValue { $0[keyPath: list].ticket() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: WaitList<Waited>.Continuation) in
                let now = withLockedValue { state -> Waited? in
                    if let value = ready(&state) { return value }
                    if Task.isCancelled { return cancelled }
                    state[keyPath: list].append(continuation, ticket: ticket)
                    return nil
                }
                if let now { continuation.resume(returning: now) }
            }
        } onCancel: {
            withLockedValue { $0[keyPath: list].remove(ticket) }?.resume(returning: cancelled)
        }
    }
}
