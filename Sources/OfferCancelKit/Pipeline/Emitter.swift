/// Counts and forwards records; trips the abort on `--max-failures`, on a systematic failure
/// (`--probe`), or when the last record-keeping sink is lost.
struct Emitter {
    var hub: SinkHub
    let progress: RunProgress
    let control: RunControl
    let maxFailures: Int?
    var probe: FailureProbe
    var counts: [Outcome: Int] = [:]
    var failures = 0
    /// Records of offers acted on (sent at least once) that no record-keeping sink holds.
    var unrecordedActedOn = 0
    /// With `--confirm`: accepted cancels seen CLOSED in time, and not.
    var confirmed = 0
    var unconfirmed = 0

    /// Records counted but not yet in the sinks: the loop's turn so far.
    private var batch: [CancelRecord] = []

    init(hub: SinkHub, progress: RunProgress, control: RunControl, maxFailures: Int?, probe: FailureProbe) {
        self.hub = hub
        self.progress = progress
        self.control = control
        self.maxFailures = maxFailures
        self.probe = probe
    }

    /// Counts `record` and adds it to the turn's batch; the abort checks act at once.
    mutating func emit(_ record: CancelRecord) {
        counts[record.outcome, default: 0] += 1
        if !record.outcome.isOK { failures += 1 }
        if record.confirmed == true { confirmed += 1 } else if record.confirmed == false { unconfirmed += 1 }
        progress.update {
            $0.done += 1
            $0.outcomes[record.outcome, default: 0] += 1
            if !record.outcome.isOK { $0.failures += 1 }
        }
        if let maxFailures, failures >= maxFailures {
            control.abort("--max-failures \(maxFailures) reached")
        }
        if !control.isHalted, let reason = probe.observe(record) { control.abort(reason) }
        batch.append(record)
    }

    /// Hands the turn's batch to the sinks: one write per sink.
    mutating func commit() async {
        guard !batch.isEmpty else { return }
        let records = batch
        batch = []
        do {
            try await hub.write(contentsOf: records)
        } catch {
            control.abort(error.description, stopReading: true)
        }
        if hub.recordKeepingLost { unrecordedActedOn += records.count { $0.attempts > 0 } }
    }
}
