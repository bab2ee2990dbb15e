import NIOConcurrencyHelpers

/// Work the run's loop hands to its long-lived worker tasks, first in, first out: one task per
/// concurrency slot for the whole run, instead of a task made and destroyed per offer.
///
/// ``next()`` does not honour task cancellation — a worker whose request was given up (the
/// grace period over) takes what was already handed to it, and only ``close()`` ends the
/// workers — so nothing submitted is ever left without a worker.
final class JobQueue<Job: Sendable>: Sendable {
    private struct State: Sendable {
        var jobs: [Job] = []
        var head = 0
        var closed = false
        var idle = WaitList<Job?>()
    }

    private let state = NIOLockedValueBox(State())

    /// Hands `job` to an idle worker, or queues it for the next that asks.
    func submit(_ job: Job) {
        let worker = state.withLockedValue { state -> WaitList<Job?>.Continuation? in
            if let worker = state.idle.popFirst() { return worker }
            state.jobs.append(job)
            return nil
        }
        worker?.resume(returning: job)
    }

    /// The next job; waits while there is none; `nil` once the queue is closed and empty.
    func next() async -> Job? {
        await withCheckedContinuation { (continuation: WaitList<Job?>.Continuation) in
            let ready = state.withLockedValue { state -> Job?? in
                if state.head < state.jobs.count {
                    defer {
                        state.head += 1
                        if state.head == state.jobs.count {
                            state.jobs.removeAll(keepingCapacity: true)
                            state.head = 0
                        }
                    }
                    return state.jobs[state.head]
                }
                if state.closed { return .some(nil) }
                state.idle.append(continuation, ticket: state.idle.ticket())
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// No more jobs: every worker that waits, or asks later, gets `nil` once the queue is empty.
    func close() {
        let idle = state.withLockedValue { state in
            state.closed = true
            return state.idle.removeAll()
        }
        idle.forEach { $0.resume(returning: nil) }
    }
}
