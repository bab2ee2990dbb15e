import OfferCancelKit

/// `-v`: every record in the failed class as one line on stderr.
struct VerboseSink: OfferSink {
    let console: Console

    /// Only failures, for a person watching: not a record of the run.
    var keepsRecords: Bool { false }

    func open(_ run: RunInfo) async throws {}

    func write(_ record: CancelRecord) async throws {
        guard !record.outcome.isOK else { return }
        var line = Console.prefix + "\(record.source):\(record.line) \(record.offerId) \(record.outcome.rawValue)"
        if let status = record.httpStatus { line += " HTTP \(status)" }
        if record.attempts > 1 { line += " after \(record.attempts) attempts" }
        if let message = record.errorMessage { line += ": \(message)" }
        console.say(line)
    }

    func close(_ summary: RunSummary) async throws {}
}
