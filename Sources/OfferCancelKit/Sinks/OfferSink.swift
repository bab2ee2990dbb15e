/// A destination for the records of a run: a file format, a statistic, a database, a process.
///
/// One consumer drives every sink: `open` once, then `write` for each record in the order
/// records complete, then `close` once — never two calls at the same time, so a sink needs no
/// locks. A sink that is slow slows the run (back-pressure); it never loses records.
///
/// Report set-up problems (an unwritable path) by throwing from the factory or from `open`;
/// the command then stops with exit status 2 before any request is sent. An error thrown from
/// `write` or `close` is reported once on stderr and the sink is dropped while the others go
/// on; never `fatalError` on the write path.
public protocol OfferSink {
    /// Called once, before the first record, with facts about the run.
    mutating func open(_ run: RunInfo) async throws

    /// Called once per record. When it returns, the record must be as durable as the sink
    /// promises (the built-in streaming sinks have handed a whole line to the kernel).
    mutating func write(_ record: CancelRecord) async throws

    /// Called once after the last record, also when the run was interrupted or aborted
    /// (``RunSummary/interrupted``, ``RunSummary/abortReason``). Flush and release here.
    mutating func close(_ summary: RunSummary) async throws
}

/// Facts about a run, given to every sink before its first record.
public struct RunInfo: Sendable {
    public var startedAt: Timestamp
    /// Input names as given (`-` for stdin).
    public var inputs: [String]
    public var baseURL: String
    public var concurrency: Int
    public var dryRun: Bool
    public var toolVersion: String

    public init(startedAt: Timestamp, inputs: [String], baseURL: String, concurrency: Int, dryRun: Bool, toolVersion: String) {
        self.startedAt = startedAt
        self.inputs = inputs
        self.baseURL = baseURL
        self.concurrency = concurrency
        self.dryRun = dryRun
        self.toolVersion = toolVersion
    }
}

/// How a run ended, given to every sink's `close`.
public struct RunSummary: Sendable {
    public var startedAt: Timestamp
    public var finishedAt: Timestamp
    /// Records by outcome; every record of the run is counted once.
    public var counts: [Outcome: Int]
    /// SIGINT or SIGTERM stopped the run before all input was read.
    public var interrupted: Bool
    /// Why the run was aborted (credentials rejected, `--max-failures`), if it was.
    public var abortReason: String?

    public init(startedAt: Timestamp, finishedAt: Timestamp, counts: [Outcome: Int], interrupted: Bool, abortReason: String?) {
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.counts = counts
        self.interrupted = interrupted
        self.abortReason = abortReason
    }

    public var total: Int { counts.values.reduce(0, +) }
    public var failures: Int { counts.filter { !$0.key.isOK }.values.reduce(0, +) }
    public var duration: Duration { .nanoseconds(finishedAt.nanoseconds - startedAt.nanoseconds) }
}
