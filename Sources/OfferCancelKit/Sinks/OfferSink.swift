/// A destination for the records of a run: a file format, a statistic, a database, a process.
///
/// One consumer drives every sink: `open` once, then `write(contentsOf:)` for each batch of
/// records in the order they complete (by default one `write(_:)` each), then `close` once —
/// never two calls at the same time, so a sink needs no locks. A sink that is slow slows the
/// run (back-pressure); it never loses records.
///
/// Report set-up problems (an unwritable path) by throwing from the factory or from `open`;
/// the command then stops with exit status 2 before any request is sent. A factory must not
/// create or truncate anything: the configuration is checked whole first, then `open` is
/// called. Open files through ``SinkOutput`` — it claims its file in ``SinkContext/targets``
/// so that a sink can never write over an input, the `--resume` log or another sink's file,
/// and it only touches the file in its own `open()`.
///
/// An error thrown from `write` or `close` is reported once on stderr and the sink is
/// dropped while the others go on; never `fatalError` on the write path. When the last sink
/// that ``keepsRecords`` is dropped, the run stops sending at once (exit 3).
public protocol OfferSink {
    /// Whether this sink keeps one record per offer somewhere a person or program can read
    /// later (a file, a pipe, a database) — `true` for csv, ndjson and exec; `false` for
    /// aggregates such as summary. A run that sends needs at least one such sink (or
    /// `--no-records`), and stops sending when the last one fails.
    var keepsRecords: Bool { get }

    /// Called once, before the first record, with facts about the run.
    mutating func open(_ run: RunInfo) async throws

    /// Called once per record. When it returns, the record must be as durable as the sink
    /// promises (the built-in streaming sinks have handed a whole line to the kernel).
    mutating func write(_ record: CancelRecord) async throws

    /// Called with the records that completed together, in order, in place of one `write(_:)`
    /// each (group commit: the run hands a batch to every sink before it starts the requests
    /// the batch's slots free). The default calls `write(_:)` for each. A streaming sink
    /// overrides it to hand the whole batch to the kernel at once; when it returns, every
    /// record of the batch is as durable as `write(_:)` promises. When it throws, the run
    /// counts none of the batch as kept by this sink (a file sink cuts the file back to where
    /// the batch began).
    mutating func write(contentsOf records: [CancelRecord]) async throws

    /// Called once after the last record, also when the run was interrupted or aborted
    /// (``RunSummary/interrupted``, ``RunSummary/abortReason``). Flush and release here.
    mutating func close(_ summary: RunSummary) async throws
}

extension OfferSink {
    /// One `write(_:)` per record, in order.
    public mutating func write(contentsOf records: [CancelRecord]) async throws {
        for record in records { try await write(record) }
    }
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
    /// SIGINT or SIGTERM stopped the run before all input was read (not set when aborted).
    public var interrupted: Bool
    /// Why the run was aborted (credentials rejected, `--max-failures`, the last
    /// record-keeping sink lost), if it was.
    public var abortReason: String?
    /// Records that reached at least one record-keeping sink.
    public var recordsKept: Int
    /// Offers acted on (a request was sent) whose record reached no record-keeping sink:
    /// those in flight when the last one was lost. Their outcomes were reported on stderr.
    public var unrecordedActedOn: Int
    /// With `--confirm`: accepted cancels seen CLOSED in time, and those not (exit status 1).
    public var confirmed: Int
    public var unconfirmed: Int
    /// What flow control saw and did (429s, pauses, learned rate, per-second series); `nil`
    /// for a run that sent nothing (`--dry-run`).
    public var flow: FlowStatistics?
    /// The method the run's cancels went by (`POST (switched from GET after a 405)`); `nil`
    /// for a run that sent nothing.
    public var cancelMethod: String?

    public init(startedAt: Timestamp, finishedAt: Timestamp, counts: [Outcome: Int], interrupted: Bool, abortReason: String?,
                recordsKept: Int = 0, unrecordedActedOn: Int = 0, confirmed: Int = 0, unconfirmed: Int = 0, flow: FlowStatistics? = nil,
                cancelMethod: String? = nil) {
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.counts = counts
        self.interrupted = interrupted
        self.abortReason = abortReason
        self.recordsKept = recordsKept
        self.unrecordedActedOn = unrecordedActedOn
        self.confirmed = confirmed
        self.unconfirmed = unconfirmed
        self.flow = flow
        self.cancelMethod = cancelMethod
    }

    public var total: Int { counts.values.reduce(0, +) }
    public var failures: Int { counts.filter { !$0.key.isOK }.values.reduce(0, +) }
    public var duration: Duration { .nanoseconds(finishedAt.nanoseconds - startedAt.nanoseconds) }
}
