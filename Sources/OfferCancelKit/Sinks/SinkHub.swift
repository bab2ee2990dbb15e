/// Fans each batch of records out to every sink, in order, from the one task that drives the run.
///
/// A sink whose `write` or `close` throws is reported once (through `report`) and dropped;
/// the others go on. Unlike swift-log's `MultiplexLogHandler`, the hub cares which sinks are
/// left: when the last **record-keeping** sink (``OfferSink/keepsRecords``) has been dropped,
/// ``write(_:)`` throws ``SinkHubError/recordKeepingLost(sink:reason:)`` so the run stops
/// sending, and from then on every record is also reported as one line (offer ID and
/// outcome), so no offer acted on is unknown.
public struct SinkHub {
    private var sinks: [(name: String, sink: any OfferSink)]
    private let report: @Sendable (String) -> Void
    /// Names of sinks dropped after an error.
    public private(set) var failedSinks: [String] = []
    /// Records that reached at least one record-keeping sink.
    public private(set) var recordsKept = 0
    /// True once record-keeping sinks were there and none is left.
    public private(set) var recordKeepingLost = false

    /// - Parameters:
    ///   - sinks: each sink with the spec it was made from, for messages.
    ///   - report: where to say that a sink failed, and what was not recorded (stderr).
    public init(_ sinks: [(name: String, sink: any OfferSink)], report: @escaping @Sendable (String) -> Void) {
        self.sinks = sinks
        self.report = report
    }

    /// Whether a sink that keeps per-offer records is left.
    public var hasRecordKeeper: Bool { sinks.contains { $0.sink.keepsRecords } }

    /// Names of the sinks left, in order.
    public var names: [String] { sinks.map(\.name) }

    /// Opens every sink; a failure here is a set-up error and is thrown as is.
    public mutating func open(_ run: RunInfo) async throws {
        for index in sinks.indices {
            do {
                try await sinks[index].sink.open(run)
            } catch {
                throw SinkHubError.openFailed(sink: sinks[index].name, reason: "\(error)")
            }
        }
    }

    /// Hands `record` to every sink; see ``write(contentsOf:)``.
    public mutating func write(_ record: CancelRecord) async throws(SinkHubError) {
        try await write(contentsOf: [record])
    }

    /// Hands `records` — the records completed together, in order — to every sink as one
    /// batch. A sink that throws is dropped and keeps none of the batch. When no
    /// record-keeping sink took the batch, each record of an offer acted on is reported as a
    /// line; the batch in which the last one was lost throws
    /// ``SinkHubError/recordKeepingLost(sink:reason:)``.
    public mutating func write(contentsOf records: [CancelRecord]) async throws(SinkHubError) {
        guard !records.isEmpty else { return }
        let hadKeeper = hasRecordKeeper
        var kept = false
        var lost: (name: String, reason: String)?
        var index = 0
        while index < sinks.count {
            do {
                try await sinks[index].sink.write(contentsOf: records)
                if sinks[index].sink.keepsRecords { kept = true }
                index += 1
            } catch {
                if sinks[index].sink.keepsRecords { lost = (sinks[index].name, "\(error)") }
                let moment = "record \(records[0].seq)" + (records.count == 1 ? "" : " and the \(records.count - 1) completed with it")
                drop(at: index, error: error, during: moment)
            }
        }
        if kept { recordsKept += records.count }
        guard hadKeeper || recordKeepingLost, !kept else { return }
        // Only an offer acted on needs its line: one never sent (skipped after the abort, a
        // duplicate, an invalid ID) is simply absent from the log, and --resume sends it.
        for record in records where record.attempts > 0 {
            report("not recorded: \(record.source):\(record.line) \(record.offerId) \(record.outcome.rawValue)")
        }
        if !recordKeepingLost, let lost {
            recordKeepingLost = true
            throw .recordKeepingLost(sink: lost.name, reason: lost.reason)
        }
    }

    /// Closes every sink that is left; failures are reported, not thrown.
    public mutating func close(_ summary: RunSummary) async {
        var index = 0
        while index < sinks.count {
            do {
                try await sinks[index].sink.close(summary)
                index += 1
            } catch {
                drop(at: index, error: error, during: "close")
            }
        }
    }

    private mutating func drop(at index: Int, error: any Error, during moment: String) {
        let name = sinks[index].name
        report("sink \(name) failed at \(moment): \(error); it gets no more records")
        failedSinks.append(name)
        sinks.remove(at: index)
    }
}

/// Why the hub could not go on: a sink that would not open (exit 2), or the last
/// record-keeping sink lost (exit 3).
public enum SinkHubError: Error, CustomStringConvertible {
    case openFailed(sink: String, reason: String)
    case recordKeepingLost(sink: String, reason: String)

    public var description: String {
        switch self {
        case .openFailed(let sink, let reason): "cannot open sink \(sink): \(reason)"
        case .recordKeepingLost(let sink, _): "the last record-keeping sink (\(sink)) failed; stopped sending so that no offer is cancelled unrecorded"
        }
    }
}
