import Synchronization

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

    private let state = Mutex(Snapshot())

    public init() {}

    public var snapshot: Snapshot { state.withLock { $0 } }

    func update(_ body: (inout Snapshot) -> Void) { state.withLock { body(&$0) } }
}

/// Asks a run to stop reading input (SIGINT, SIGTERM); requests in flight still finish.
public final class StopSignal: Sendable {
    private let stopped = Mutex(false)

    public init() {}

    public func stop() { stopped.withLock { $0 = true } }

    public var isStopped: Bool { stopped.withLock { $0 } }
}

/// How a run ended.
public struct RunResult: Sendable {
    public var summary: RunSummary
    /// 0 every record ok, 1 some failed (or a sink was lost), 3 aborted. Interruption is the
    /// caller's to report (130/143): ``RunSummary/interrupted`` says it happened.
    public var exitStatus: Int32
}

/// The run: reads items, keeps at most `concurrency` cancels in flight in a TaskGroup that is
/// topped up as children finish, and hands every record to the sinks from this one task.
///
/// Invalid and duplicate items become records at once, in reading order with the rest.
/// Because the sinks are written from the task that also tops up the group, a slow sink holds
/// back new requests (back-pressure) instead of piling records up in memory.
public struct CancelPipeline: Sendable {
    public let concurrency: Int
    public let settings: CancelSettings
    let client: MarketClient?
    /// Stop after this many failed-class records (`--max-failures`).
    public let maxFailures: Int?

    public init(client: MarketClient?, concurrency: Int, settings: CancelSettings, maxFailures: Int? = nil) {
        self.client = client
        self.concurrency = max(1, concurrency)
        self.settings = settings
        self.maxFailures = maxFailures
    }

    public func run(
        source: IDSource,
        hub: inout SinkHub,
        info: RunInfo,
        stop: StopSignal = StopSignal(),
        progress: RunProgress = RunProgress()
    ) async throws -> RunResult {
        let abort = AbortFlag()
        // A dry run has no worker: every valid ID becomes a dry_run record below.
        let worker = settings.dryRun ? nil : client.map { CancelWorker(client: $0, limiter: settings.ratePerSecond.map { RateLimiter(perSecond: $0) }, settings: settings, abort: abort) }
        var emitter = Emitter(hub: hub, progress: progress, abort: abort, maxFailures: maxFailures)
        var iterator = source.makeAsyncIterator()
        var inputDone = false

        try await withThrowingTaskGroup(of: CancelRecord.self) { group in
            var inFlight = 0
            while true {
                // Top up: read until the group is full, the input ends, or the run must stop.
                while inFlight < concurrency, !inputDone, !stop.isStopped, !emitter.sinksGone {
                    guard let item = try await iterator.next() else {
                        inputDone = true
                        progress.update { $0.inputFinished = true }
                        break
                    }
                    progress.update { $0.read += 1 }
                    switch item.disposition {
                    case .invalid(let reason):
                        var record = CancelRecord(seq: item.seq, source: item.source, line: item.line, offerId: item.raw, outcome: .invalidID)
                        record.errorMessage = reason.reason
                        await emitter.emit(record)
                    case .duplicate(let id):
                        var record = CancelRecord(seq: item.seq, source: item.source, line: item.line, offerId: id.text, outcome: .duplicate)
                        record.errorMessage = "seen earlier in this run; not sent"
                        await emitter.emit(record)
                    case .valid(let id):
                        if let reason = abort.abortReason {
                            var record = CancelRecord(seq: item.seq, source: item.source, line: item.line, offerId: id.text, outcome: .skipped)
                            record.errorMessage = "not sent: \(reason)"
                            await emitter.emit(record)
                        } else if let worker {
                            group.addTask { await worker.process(item, id: id) }
                            inFlight += 1
                        } else {
                            var record = CancelRecord(seq: item.seq, source: item.source, line: item.line, offerId: id.text, outcome: .dryRun)
                            record.startedAt = .now()
                            record.finishedAt = record.startedAt
                            await emitter.emit(record)
                        }
                    }
                }
                progress.update { $0.inFlight = inFlight }
                guard inFlight > 0, let record = try await group.next() else { break }
                inFlight -= 1
                await emitter.emit(record)
            }
        }
        let summary = RunSummary(
            startedAt: info.startedAt,
            finishedAt: .now(),
            counts: emitter.counts,
            interrupted: stop.isStopped,
            abortReason: abort.abortReason
        )
        hub = emitter.hub
        await hub.close(summary)
        let status: Int32 = abort.abortReason != nil ? 3 : (summary.failures > 0 || !hub.failedSinks.isEmpty ? 1 : 0)
        return RunResult(summary: summary, exitStatus: status)
    }
}

/// Counts and forwards records; trips the abort on `--max-failures` or when no sink is left.
private struct Emitter {
    var hub: SinkHub
    let progress: RunProgress
    let abort: AbortFlag
    let maxFailures: Int?
    var counts: [Outcome: Int] = [:]
    var failures = 0
    var sinksGone = false

    mutating func emit(_ record: CancelRecord) async {
        counts[record.outcome, default: 0] += 1
        if !record.outcome.isOK { failures += 1 }
        progress.update {
            $0.done += 1
            if !record.outcome.isOK { $0.failures += 1 }
        }
        if let maxFailures, failures >= maxFailures {
            abort.abort("--max-failures \(maxFailures) reached")
        }
        do {
            try await hub.write(record)
        } catch {
            sinksGone = true
            abort.abort(error.description)
        }
    }
}
