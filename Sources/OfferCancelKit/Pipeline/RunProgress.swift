import NIOConcurrencyHelpers

/// Live counters of a run, for a progress line. Safe to read from any task.
public final class RunProgress: Sendable {
    /// The counters at one moment.
    public struct Snapshot: Sendable {
        /// Records emitted so far.
        public var done = 0
        /// Of those, records in the failed class.
        public var failures = 0
        /// Records emitted so far, by outcome.
        public var outcomes: [Outcome: Int] = [:]
        /// Items read so far; the total once ``inputFinished``.
        public var read = 0
        /// Whether every input has been read to its end.
        public var inputFinished = false
        /// Items taken from the input and not yet recorded (sent, waiting to be sent, or retrying).
        public var inFlight = 0
    }

    private let state = NIOLockedValueBox(Snapshot())

    public init() {}

    public var snapshot: Snapshot { state.withLockedValue { $0 } }

    func update(_ body: (inout Snapshot) -> Void) { state.withLockedValue { body(&$0) } }
}
