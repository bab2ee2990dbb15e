import NIOConcurrencyHelpers
import NIOCore

extension EventLoopFuture where Value: Sendable {
    /// The future's value or error, as `get()` gives it, handed from the event loop to the
    /// awaiting task under a lock.
    ///
    /// Swift's runtime hands a resumed task to its executor through atomics ThreadSanitizer
    /// does not always see (Swift 6.3 on Linux: a bare continuation resumed from another
    /// thread, 190 reports in 2,000 hand-offs). TSan then reports the task's first read of
    /// what the loop made, such as a reply's head, as a race with the loop's writes. A pthread
    /// mutex orders them where TSan sees it, for one allocation and two uncontended locks.
    func getThroughLock() async throws -> Value {
        let handed = NIOLockedValueBox<Result<Value, any Error>?>(nil)
        await withUnsafeContinuation { (completed: UnsafeContinuation<Void, Never>) in
            whenComplete { result in
                handed.withLockedValue { $0 = result }
                completed.resume()
            }
        }
        return try handed.withLockedValue { $0! }.get()
    }
}
