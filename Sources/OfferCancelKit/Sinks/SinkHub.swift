/// Fans each record out to every sink, in order, from the one task that drives the run.
///
/// A sink whose `write` or `close` throws is reported once (through `report`) and dropped;
/// the others go on. When the last sink has been dropped, ``write(_:)`` throws
/// ``SinkHubError/noSinkLeft`` so the run can abort rather than cancel offers unrecorded.
public struct SinkHub {
    private var sinks: [(name: String, sink: any OfferSink)]
    private let report: @Sendable (String) -> Void
    /// Names of sinks dropped after an error.
    public private(set) var failedSinks: [String] = []

    /// - Parameters:
    ///   - sinks: each sink with the spec it was made from, for messages.
    ///   - report: where to say that a sink failed (stderr in the command).
    public init(_ sinks: [(name: String, sink: any OfferSink)], report: @escaping @Sendable (String) -> Void) {
        self.sinks = sinks
        self.report = report
    }

    public var isEmpty: Bool { sinks.isEmpty }

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

    public mutating func write(_ record: CancelRecord) async throws(SinkHubError) {
        await forEachSink(moment: "record \(record.seq)") { try await $0.write(record) }
        if sinks.isEmpty && !failedSinks.isEmpty { throw .noSinkLeft }
    }

    /// Closes every sink that is left; failures are reported, not thrown.
    public mutating func close(_ summary: RunSummary) async {
        await forEachSink(moment: "close") { try await $0.close(summary) }
    }

    /// Calls `body` on each sink in order, dropping (and reporting) those that throw.
    private mutating func forEachSink(moment: @autoclosure () -> String, _ body: (inout any OfferSink) async throws -> Void) async {
        var index = 0
        while index < sinks.count {
            do {
                try await body(&sinks[index].sink)
                index += 1
            } catch {
                drop(at: index, error: error, during: moment())
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

/// Why the hub could not go on: a sink that would not open (exit 2), or none left (exit 3).
public enum SinkHubError: Error, CustomStringConvertible {
    case openFailed(sink: String, reason: String)
    case noSinkLeft

    public var description: String {
        switch self {
        case .openFailed(let sink, let reason): "cannot open sink \(sink): \(reason)"
        case .noSinkLeft: "every sink has failed; stopping so that no offer is cancelled unrecorded"
        }
    }
}
