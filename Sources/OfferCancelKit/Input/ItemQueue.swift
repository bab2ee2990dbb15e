import Foundation

/// The hand-over from the reading thread to the run: a bounded first-in first-out queue that
/// the thread fills (blocking while it is full) and the run empties (suspending while it is
/// empty), so an item reaches the run the moment it is read and reading never runs more than
/// `capacity` items ahead.
///
/// `@unchecked Sendable` is sound here: every stored property is read and written only while
/// `condition`'s lock is held.
final class ItemQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private let capacity: Int
    private var items: [InputItem] = []
    private var head = 0
    private var finished = false
    private var failure: InputError?
    private var closed = false
    /// The consumer, while it waits for items (one consumer: at most one wait).
    private var waiter = WaitList<Void>()

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Appends `item`, waiting while the queue is full. Returns false once the queue is
    /// closed: the producer should stop.
    func push(_ item: InputItem) -> Bool {
        condition.lock()
        while items.count - head >= capacity && !closed { condition.wait() }
        guard !closed else {
            condition.unlock()
            return false
        }
        items.append(item)
        let waiting = waiter.removeAll()
        condition.unlock()
        waiting.forEach { $0.resume() }
        return true
    }

    /// The producer is done: at the end of every input, or with `error`.
    func finish(throwing error: InputError? = nil) {
        condition.lock()
        finished = true
        failure = error
        let waiting = waiter.removeAll()
        condition.unlock()
        waiting.forEach { $0.resume() }
    }

    /// The consumer wants no more items: wakes both sides; later batches are empty.
    func close() {
        condition.lock()
        closed = true
        let waiting = waiter.removeAll()
        condition.broadcast()
        condition.unlock()
        waiting.forEach { $0.resume() }
    }

    /// Up to `limit` items, as soon as at least one is there; empty at the end (or once closed).
    func nextBatch(limit: Int) async throws(InputError) -> [InputItem] {
        while true {
            if let batch = try takeBatch(limit: limit) { return batch }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    condition.lock()
                    if items.count > head || finished || closed || Task.isCancelled {
                        condition.unlock()
                        continuation.resume()
                    } else {
                        waiter.append(continuation, ticket: waiter.ticket())
                        condition.unlock()
                    }
                }
            } onCancel: {
                close()
            }
        }
    }

    /// A batch if one can be had without waiting; `[]` at the end; `nil` to wait.
    private func takeBatch(limit: Int) throws(InputError) -> [InputItem]? {
        condition.lock()
        defer { condition.unlock() }
        if closed { return [] }
        if items.count > head {
            let end = min(items.count, head + max(1, limit))
            let batch = Array(items[head..<end])
            head = end
            if head == items.count {
                items.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= capacity {
                items.removeFirst(head)
                head = 0
            }
            condition.signal()
            return batch
        }
        if finished {
            if let failure { throw failure }
            return []
        }
        return nil
    }
}
