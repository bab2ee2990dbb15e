import NIOConcurrencyHelpers
import OfferCancelKit

/// Keeps a run's metrics current while it goes: every second it samples flow control and the
/// progress counters, every five it rewrites the textfile; at the end it does both once more
/// and stops the endpoint (after `--metrics-linger`). Nothing it does can stop or slow the
/// run: a textfile that cannot be written is reported once, and the run goes on.
public final class MetricsExporter: Sendable {
    public let metrics: RunMetrics
    private let textfile: MetricsTextfile?
    private let endpoint: MetricsEndpoint?
    private let report: @Sendable (String) -> Void
    private let linger: Duration
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)
    private let failedWrite = NIOLockedValueBox(false)

    /// How often the textfile is rewritten, in samples (one a second).
    static let textfileEvery = 5

    /// - Parameter linger: how long the endpoint goes on serving once the run has ended.
    public init(metrics: RunMetrics, textfile: MetricsTextfile?, endpoint: MetricsEndpoint?, linger: Duration = .zero,
                report: @escaping @Sendable (String) -> Void) {
        self.metrics = metrics
        self.linger = linger
        self.textfile = textfile
        self.endpoint = endpoint
        self.report = report
    }

    /// Starts sampling `governor` (none in a dry run) and `progress`.
    public func start(governor: Governor?, progress: RunProgress) {
        let task = Task { [self] in
            var samples = 0
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                metrics.sample(flow: governor?.statistics, progress: progress.snapshot)
                samples += 1
                if samples % Self.textfileEvery == 0 { writeTextfile() }
            }
        }
        self.task.withLockedValue { $0 = task }
    }

    /// The last sample and textfile, once the run has ended; then the endpoint closes, after
    /// the linger — which the next Ctrl-C or SIGTERM ends (`control`'s next phase).
    public func finish(governor: Governor?, progress: RunProgress, control: RunControl) async {
        let running = task.withLockedValue { $0 }
        running?.cancel()
        await running?.value
        metrics.sample(flow: governor?.statistics, progress: progress.snapshot)
        writeTextfile()
        if let endpoint {
            _ = await control.sleep(for: linger, unless: control.isHalted ? .graceOver : .halted)
            await endpoint.stop()
        }
    }

    private func writeTextfile() {
        guard let textfile else { return }
        do {
            try textfile.write(metrics.exposition())
        } catch {
            let first = failedWrite.withLockedValue { failed in
                defer { failed = true }
                return !failed
            }
            if first { report("metrics not written: \(error)") }
        }
    }
}
