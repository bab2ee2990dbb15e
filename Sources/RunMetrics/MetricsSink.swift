import OfferCancelKit

/// Hands the run's records to its ``RunMetrics``: an aggregate, which keeps no record.
public struct MetricsSink: OfferSink {
    public let metrics: RunMetrics

    public init(_ metrics: RunMetrics) { self.metrics = metrics }

    public var keepsRecords: Bool { false }

    public mutating func open(_ run: RunInfo) async throws {
        metrics.started(at: run.startedAt)
    }

    public mutating func write(_ record: CancelRecord) async throws {
        metrics.add([record])
    }

    public mutating func write(contentsOf records: [CancelRecord]) async throws {
        metrics.add(records)
    }

    public mutating func close(_ summary: RunSummary) async throws {
        metrics.ended(at: summary.finishedAt)
    }
}
