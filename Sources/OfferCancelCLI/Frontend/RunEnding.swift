import OfferCancelKit

/// What the user reads after the run, and the exit status: the abort, the records that could
/// not be kept, how to finish the job (after those, or after an interrupt), what `--resume`
/// and `--shard` passed over, where the records went; 128 + the signal that interrupted it,
/// else the run's own status.
extension CancelFrontend {
    /// Says how `result` went; returns the process's exit status.
    func finish(_ result: RunResult, source: IDSource, hub: SinkHub, recordLog: String?, signals: SignalWatcher) -> Int32 {
        let summary = result.summary
        if let reason = summary.abortReason { console.note("aborted: \(reason)") }
        if hub.recordKeepingLost {
            console.note("\(summary.unrecordedActedOn) offers were acted on after the record stream was lost; their outcomes are the \"not recorded\" lines above")
            console.note("to finish the job: \(resumeCommand(log: recordLogPath(recordLog)))")
        } else if signals.received != nil, recordLog == nil, !output.quiet {
            // (A run logging to its default file says so below, with the log.)
            console.note("to finish the job: \(resumeCommand(log: recordLogPath(recordLog)))")
        }
        if let log = input.resume, !output.quiet {
            let counts = source.resumedByOutcome
            let parts = Outcome.allCases.compactMap { outcome in counts[outcome].map { "\($0) \(outcome.rawValue)" } }
            console.note("resumed from \(log): passed over \(source.resumedCount) items the log settled"
                + (parts.isEmpty ? "" : " (\(parts.joined(separator: ", ")))") + (verifies ? "" : "; --retry-outcomes sends chosen outcomes again"))
        }
        if verifies, summary.total == 0, source.resumedCount == 0, source.otherShardsCount == 0 {
            console.note("nothing to verify: \(input.inputs.joined(separator: " ")) record no offer cancelled or already_closed (verify reads the record logs --sink ndjson:… and csv:… write)")
        }
        if let shard = try? input.selectedShard(), !output.quiet {
            console.note("shard \(shard): passed over \(source.otherShardsCount) items of other shards")
        }
        if let recordLog, !output.quiet { console.note("records: \(recordLog) (continue an unfinished run with --resume \(recordLog))") }
        if let signal = signals.received { return 128 + signal }
        return result.exitStatus
    }

    /// The record log of this run a resume can read, if one of its sinks writes one to a file:
    /// the NDJSON one first, else the CSV one; with its sink's scheme.
    private func recordLogPath(_ recordLog: String?) -> (scheme: String, path: String)? {
        if let recordLog { return ("ndjson", recordLog) }
        let files = output.sinks.compactMap { try? SinkSpec(parsing: $0) }.filter { $0.target.map { $0 != "-" && !$0.isEmpty } == true }
        guard let spec = files.first(where: { $0.scheme == "ndjson" }) ?? files.first(where: { $0.scheme == "csv" }), let target = spec.target else { return nil }
        return (spec.scheme, target.hasPrefix("+") ? String(target.dropFirst()) : target)
    }

    /// The command that finishes this run: from its record log; from the NDJSON it streamed to
    /// stdout, if that was saved; or else the same inputs again with a log (offers already
    /// cancelled answer already_closed).
    private func resumeCommand(log: (scheme: String, path: String)?) -> String {
        let inputs = selection.select ? selection.arguments.joined(separator: " ") : input.inputs.isEmpty ? "-" : input.inputs.joined(separator: " ")
        let shard = input.shard.map { " --shard \($0)" } ?? ""
        let command = verifies ? "offer-cancel verify" : "offer-cancel"
        if let log { return "\(command) --resume \(log.path) --sink \(log.scheme):+\(log.path)\(shard) \(inputs)" }
        let again = "\(command) --sink ndjson:run.ndjson\(shard) \(inputs)"
        let streamed = output.sinks.isEmpty || output.sinks.contains { (try? SinkSpec(parsing: $0)).map { $0.scheme == "ndjson" && $0.target == "-" } == true }
        guard streamed else {
            return again + " (this run kept no record log in a file to --resume from: run the inputs again with one; offers it cancelled answer already_closed)"
        }
        return "\(command) --resume LOG --sink ndjson:+LOG\(shard) \(inputs), LOG being the NDJSON this run wrote to stdout; "
            + "if it was not kept: \(again) (offers it cancelled answer already_closed)"
    }
}
