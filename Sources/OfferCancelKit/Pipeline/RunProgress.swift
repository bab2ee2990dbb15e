import NIOConcurrencyHelpers

/// Live counters of a run, for a progress line. Safe to read from any task.
public final class RunProgress: Sendable {
    /// The counters at one moment.
    public struct Snapshot: Sendable {
        /// Records emitted so far.
        public var done = 0
        /// Of those, records in the failed class.
        public var failures = 0
        /// Items read so far; the total once ``inputFinished``.
        public var read = 0
        public var inputFinished = false
        public var inFlight = 0
    }

    private let state = NIOLockedValueBox(Snapshot())

    public init() {}

    public var snapshot: Snapshot { state.withLockedValue { $0 } }

    func update(_ body: (inout Snapshot) -> Void) { state.withLockedValue { body(&$0) } }
}
