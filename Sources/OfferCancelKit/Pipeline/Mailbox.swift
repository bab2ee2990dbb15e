import NIOConcurrencyHelpers

/// Where the run's tasks leave what they finished, and its loop takes everything left there
/// at once: the records that completed while the loop was busy become one batch for the sinks
/// (group commit) instead of one write each.
///
/// One consumer; any number of producers. ``take()`` does not honour task cancellation: the
/// loop calls it only while a task it started has still to post, and each does, cancelled or not.
final class Mailbox<Event: Sendable>: Sendable {
    private struct State: Sendable {
        var events: [Event] = []
        var consumer = WaitList<[Event]>()
    }

    private let state = NIOLockedValueBox(State())

    /// Leaves `event`, waking the consumer if it waits.
    func post(_ event: Event) {
        let consumer = state.withLockedValue { state -> WaitList<[Event]>.Continuation? in
            if let consumer = state.consumer.popFirst() { return consumer }
            state.events.append(event)
            return nil
        }
        consumer?.resume(returning: [event])
    }

    /// Everything posted since the last take, in the order it came; waits for the next post
    /// when nothing is there.
    func take() async -> [Event] {
        await withCheckedContinuation { (continuation: WaitList<[Event]>.Continuation) in
            let ready = state.withLockedValue { state -> [Event]? in
                guard state.events.isEmpty else {
                    defer { state.events = [] }
                    return state.events
                }
                state.consumer.append(continuation, ticket: state.consumer.ticket())
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
