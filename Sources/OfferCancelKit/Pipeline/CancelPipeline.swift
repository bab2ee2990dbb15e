/// How a run ended.
public struct RunResult: Sendable {
    public var summary: RunSummary
    /// 0 every record ok, 1 some failed (or a sink was lost), 3 aborted. Interruption is the
    /// caller's to report (130/143): ``RunSummary/interrupted`` says it happened.
    public var exitStatus: Int32
}

/// The run: reads items, keeps at most `concurrency` cancels in flight, and hands every record
/// to the sinks from this one task.
///
/// The run's tasks — reads, cancels (long-lived workers fed through a `JobQueue`),
/// confirmations, the halt watcher, the grace timer — post one event per piece of work to a
/// `Mailbox`, and the loop takes whatever is there, so records are written while the input
/// waits and a stop is acted on at once. The records of one turn go to the sinks as one batch
/// (group commit) before the cancels that turn makes room for start.
/// Invalid and duplicate items become records as they are read. Because the sinks are written
/// from the task that also starts the requests, a slow sink holds back new requests
/// (back-pressure) instead of piling records up in memory.
public struct CancelPipeline: Sendable {
    /// What the run does with valid IDs.
    public enum Mode: Sendable {
        /// Cancel them through this client.
        case send(MarketClient)
        /// Send nothing; record each as `dry_run`.
        case dryRun
        /// Read each offer (`GET /offers/{id}`) through this client and record whether it is
        /// CLOSED (`offer-cancel verify`): no cancel is sent.
        case verify(MarketClient)

        /// The client requests go through; `nil` in a dry run.
        var client: MarketClient? {
            switch self {
            case .send(let client), .verify(let client): client
            case .dryRun: nil
            }
        }
    }

    public let mode: Mode
    public let concurrency: Int
    public let settings: CancelSettings
    /// Stop after this many failed-class records (`--max-failures`).
    public let maxFailures: Int?
    /// How long requests in flight may take to finish once the run halts (`--grace`).
    public let grace: Duration
    /// Stop when this many replies in a row fail the same way (`--probe`; 0: never).
    public let probe: Int
    /// Flow control for every request of the run (its maximum concurrency is `concurrency`).
    public let governor: Governor

    public init(mode: Mode, concurrency: Int, settings: CancelSettings, maxFailures: Int? = nil, grace: Duration = .seconds(10), probe: Int = 20) {
        self.mode = mode
        self.concurrency = max(1, concurrency)
        self.settings = settings
        self.maxFailures = maxFailures
        self.grace = grace
        self.probe = max(0, probe)
        var flow = settings.flow
        flow.maxConcurrency = self.concurrency
        governor = Governor(settings: flow)
    }

    /// What the loop's tasks post to it, one event each.
    private enum Event: Sendable {
        case items(Result<[InputItem], any Error>)
        /// A cancel is done (its worker's record).
        case sent(CancelRecord, OfferID)
        /// A confirmation is done.
        case confirmed(CancelRecord)
        case halted
        case graceOver
    }

    /// Accepted cancels waiting for CLOSED at most; beyond it, reading waits (memory stays bounded).
    static let confirmationBacklog = 20_000

    public func run(
        source: IDSource,
        hub: inout SinkHub,
        info: RunInfo,
        control: RunControl = RunControl(),
        progress: RunProgress = RunProgress()
    ) async throws -> RunResult {
        let stages = Stages(self, control: control)
        var emitter = Emitter(hub: hub, progress: progress, control: control, maxFailures: maxFailures, probe: FailureProbe(window: probe))
        control.onReadingStopped { source.stop() }
        // The first token before the first cancel: refused or unreachable credentials abort
        // a run that has sent nothing (every item is then recorded skipped).
        if let client = mode.client, let failure = await client.prepare() { control.abort(failure) }
        try await drive(source: source, stages: stages, emitter: &emitter, control: control, progress: progress)
        let sent = stages.worker != nil
        let summary = RunSummary(
            startedAt: info.startedAt,
            finishedAt: .now(),
            counts: emitter.counts,
            interrupted: control.isReadingStopped && control.abortReason == nil,
            abortReason: control.abortReason,
            recordsKept: emitter.hub.recordsKept,
            unrecordedActedOn: emitter.unrecordedActedOn,
            confirmed: emitter.confirmed,
            unconfirmed: emitter.unconfirmed,
            flow: sent ? governor.statistics : nil,
            cancelMethod: sent && !stages.verifies ? stages.cancelMethod.description : nil
        )
        hub = emitter.hub
        await hub.close(summary)
        let status: Int32 = control.abortReason != nil ? 3 : (summary.failures > 0 || summary.unconfirmed > 0 || !hub.failedSinks.isEmpty ? 1 : 0)
        return RunResult(summary: summary, exitStatus: status)
    }

    /// The run's stages: the cancels (none in a dry run) and the confirmations (`--confirm`).
    private struct Stages: Sendable {
        var worker: CancelWorker?
        var confirmation: ConfirmationStage?
        let cancelMethod: CancelMethod
        /// Whether the workers read offers instead of cancelling them (``Mode/verify(_:)``).
        var verifies: Bool { worker?.verifies ?? false }

        init(_ pipeline: CancelPipeline, control: RunControl) {
            let settings = pipeline.settings
            cancelMethod = CancelMethod(settings.cancelMethod)
            guard let client = pipeline.mode.client else { return }
            var verifies = false
            if case .verify = pipeline.mode { verifies = true }
            worker = CancelWorker(client: client, governor: pipeline.governor, settings: settings, control: control, cancelMethod: cancelMethod,
                                  silence: SilenceProbe(window: pipeline.probe, timeout: client.timeout), verifies: verifies)
            if settings.confirm, !verifies {
                confirmation = ConfirmationStage(client: client, governor: pipeline.governor, control: control, timeout: settings.confirmTimeout,
                                                 concurrency: settings.confirmConcurrency)
            }
        }
    }

    /// What the loop has going, which decides what it starts next.
    private struct Loop {
        /// Events still to come: tasks started and cancels handed to workers.
        var tasks = 0
        /// Worker tasks started; each takes cancels from the job queue until the loop ends.
        var workers = 0
        var inFlight = 0
        var confirming = 0
        var reading = false
        var inputDone = false
        var finishing = false
        /// Valid items read and not yet sent, up to `concurrency` ahead of the slots: a slot
        /// that frees is filled in the turn that frees it, once its record is committed.
        var ready: [(item: InputItem, id: OfferID)] = []
        /// Other tasks the turn's events call for (confirmations, the grace timer).
        var toStart: [@Sendable () async -> Event] = []
        /// The grace period is over: requests still in flight are given up.
        var givingUp = false
    }

    /// The loop: starts reads, cancels and confirmations as room allows, and handles what its
    /// tasks post, until none is left. Each turn takes every event posted since the last,
    /// hands the records they made to the sinks as one batch (group commit), and only then
    /// starts the cancels that the turn's freed slots make room for: at most `concurrency`
    /// offers are ever acted on without their record in the sinks.
    private func drive(source: IDSource, stages: Stages, emitter: inout Emitter, control: RunControl, progress: RunProgress) async throws {
        let concurrency = concurrency
        let mailbox = Mailbox<Event>()
        let jobs = JobQueue<(item: InputItem, id: OfferID)>()
        try await withThrowingDiscardingTaskGroup { group in
            defer { jobs.close() }  // the workers end with the loop, also when it throws
            var loop = Loop()
            func start(_ work: @escaping @Sendable () async -> Event) {
                loop.tasks += 1
                group.addTask { mailbox.post(await work()) }
            }
            /// Reads while there is room; after an abort, reads on (the rest becomes skipped).
            func readIfThereIsRoom() {
                let room = control.isHalted ? 256 : 2 * concurrency - loop.inFlight - loop.ready.count
                guard !loop.reading, !loop.inputDone, !control.isReadingStopped, room > 0, loop.confirming < Self.confirmationBacklog else { return }
                loop.reading = true
                start {
                    do { return .items(.success(try await source.nextBatch(limit: room))) } catch { return .items(.failure(error)) }
                }
            }
            /// Hands ready items to the workers while slots are free — one long-lived worker per
            /// slot in use, started as the slots first fill — or records them all skipped once
            /// the run has halted.
            func sendReadyItems() {
                let count = control.isHalted ? loop.ready.count : min(loop.ready.count, concurrency - loop.inFlight)
                for (item, id) in loop.ready.prefix(count) {
                    guard let worker = stages.worker, !control.isHalted else {
                        emitter.emit(Self.localRecord(for: item, dryRun: false, control: control))
                        continue
                    }
                    if loop.workers == loop.inFlight {
                        loop.workers += 1
                        group.addTask {
                            while let job = await jobs.next() { mailbox.post(.sent(await worker.process(job.item, id: job.id), job.id)) }
                        }
                    }
                    jobs.submit((item, id))
                    loop.tasks += 1
                    loop.inFlight += 1
                }
                loop.ready.removeFirst(count)
            }
            start {
                await control.wait(until: .halted)
                return .halted
            }
            while true {
                readIfThereIsRoom()
                progress.update { [inFlight = loop.inFlight] in $0.inFlight = inFlight }
                if !loop.finishing, !loop.reading, loop.inFlight == 0, loop.confirming == 0, loop.ready.isEmpty, loop.inputDone || control.isReadingStopped {
                    loop.finishing = true
                    group.cancelAll()  // the halt watcher and grace timer; nothing else is left
                }
                if loop.tasks == 0 { break }
                var failure: (any Error)?
                for event in await mailbox.take() {
                    loop.tasks -= 1
                    do { try handle(event, loop: &loop, stages: stages, emitter: &emitter, control: control, progress: progress) } catch { failure = failure ?? error }
                }
                await emitter.commit()
                if let failure { throw failure }
                if loop.givingUp {
                    group.cancelAll()
                    loop.givingUp = false
                }
                loop.toStart.forEach(start)
                loop.toStart.removeAll()
                sendReadyItems()
            }
            await emitter.commit()
        }
    }

    /// One event of the loop: a batch read, a cancel or a confirmation done, the halt, the
    /// grace period's end. Records go to the emitter's batch, valid items to `loop.ready`,
    /// tasks to start to `loop.toStart`.
    private func handle(_ event: Event, loop: inout Loop, stages: Stages, emitter: inout Emitter, control: RunControl, progress: RunProgress) throws {
        switch event {
        case .items(let read):
            loop.reading = false
            let batch = try read.get()
            if batch.isEmpty {
                loop.inputDone = true
                progress.update { $0.inputFinished = true }
            }
            for item in batch {
                progress.update { $0.read += 1 }
                if case .valid(let id) = item.disposition, stages.worker != nil, !control.isHalted {
                    loop.ready.append((item, id))
                } else {
                    emitter.emit(Self.localRecord(for: item, dryRun: stages.worker == nil, control: control))
                }
            }
        case .sent(let record, let id):
            loop.inFlight -= 1
            if let confirmation = stages.confirmation, record.outcome == .cancelled {
                loop.confirming += 1
                loop.toStart.append { .confirmed(await confirmation.confirm(record, id: id)) }
            } else {
                emitter.emit(record)
            }
        case .confirmed(let record):
            loop.confirming -= 1
            emitter.emit(record)
        case .halted:
            governor.close()
            if !loop.finishing {
                let grace = grace
                loop.toStart.append {
                    if await control.sleep(for: grace, unless: .graceOver) { control.endGrace() }
                    return .graceOver
                }
            }
        case .graceOver:
            // Requests still in flight are given up: their workers see the cancellation.
            if !loop.finishing, control.phase == .graceOver { loop.givingUp = true }
        }
    }

    /// The record of an item that is not sent: invalid, duplicate, a dry run, or read after
    /// the run halted.
    private static func localRecord(for item: InputItem, dryRun: Bool, control: RunControl) -> CancelRecord {
        var record = CancelRecord(seq: item.seq, source: item.source, line: item.line, offerId: item.offerID?.text ?? item.raw, outcome: .skipped)
        switch item.disposition {
        case .invalid(let reason):
            record.outcome = .invalidID
            record.errorMessage = reason.reason
        case .duplicate:
            record.outcome = .duplicate
            record.errorMessage = "seen earlier in this run; not sent"
        case .valid:
            if dryRun && !control.isHalted {
                record.outcome = .dryRun
                record.startedAt = .now()
                record.finishedAt = record.startedAt
            } else {
                record.errorMessage = "not sent: " + (control.abortReason ?? "the run was interrupted")
            }
        }
        return record
    }
}
