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

    mutating func emit(_ record: CancelRecord) async {
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
        do {
            try await hub.write(record)
        } catch {
            control.abort(error.description, stopReading: true)
        }
        if hub.recordKeepingLost, record.attempts > 0 { unrecordedActedOn += 1 }
    }
}
