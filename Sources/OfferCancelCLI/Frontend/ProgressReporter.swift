import Foundation
import OfferCancelKit
import NIOConcurrencyHelpers

/// Redraws one progress line on stderr, as the console's status line (other lines are written
/// above it): done/total (estimated from the bytes read while a file is read, exact once the
/// input is fully read), rate, ETA, outcomes that need a look, and flow control's concurrency
/// limit, pace and 429s.
final class ProgressReporter: Sendable {
    private let progress: RunProgress
    private let governor: Governor?
    private let console: Console
    private let estimatedTotal: @Sendable () -> Int?
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)

    /// - Parameter estimatedTotal: the input's item count as estimated so far (``IDSource/estimatedTotal``).
    init(progress: RunProgress, governor: Governor?, console: Console, estimatedTotal: @escaping @Sendable () -> Int? = { nil }) {
        self.progress = progress
        self.estimatedTotal = estimatedTotal
        self.governor = governor
        self.console = console
    }

    func start() {
        let (progress, governor, console, estimatedTotal) = (progress, governor, console, estimatedTotal)
        let clock = ContinuousClock()
        let started = clock.now
        task.withLockedValue {
            $0 = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(250))
                    let elapsed = clock.now - started
                    console.showStatus(Self.line(progress.snapshot, flow: governor?.statistics, elapsed: elapsed, estimatedTotal: estimatedTotal()))
                }
            }
        }
    }

    func finish() async {
        let running = task.withLockedValue { $0 }
        running?.cancel()
        await running?.value
        console.clearStatus()
    }

    static func line(_ snapshot: RunProgress.Snapshot, flow: FlowStatistics?, elapsed: Duration, estimatedTotal: Int? = nil) -> String {
        let seconds = max(elapsed.seconds, 0.001)
        let rate = Double(snapshot.done) / seconds
        var text: String, total: Int?
        if snapshot.inputFinished {
            (text, total) = ("\(snapshot.done)/\(snapshot.read)", snapshot.read)
        } else if let estimated = estimatedTotal.map({ max($0, snapshot.read) }) {
            (text, total) = ("\(snapshot.done)/~\(estimated)", estimated)
        } else {
            (text, total) = ("\(snapshot.done)/\(snapshot.read)+", nil)
        }
        text += String(format: "  %.0f/s", rate)
        if let total, rate > 0 {
            text += String(format: "  ETA %.0fs", Double(total - snapshot.done) / rate)
        }
        // Requests on the wire, when flow control counts them: items waiting for a permit or
        // a retry's backoff are not in flight.
        text += "  \(flow?.inFlight ?? snapshot.inFlight) in flight"
        text += Self.problems(snapshot.outcomes)
        if let flow {
            text += "  limit \(flow.concurrencyLimit)"
            if let rate = flow.learnedRate { text += String(format: "  pace %.0f/s", rate) }
            if flow.throttled > 0 { text += "  429 ×\(flow.throttled)" }
        }
        return text
    }

    /// Each outcome that needs a look, by name ("3 not found  1 forbidden"), and always the
    /// failed count: an offer that does not exist is not a failure of the run's machinery.
    static func problems(_ outcomes: [Outcome: Int]) -> String {
        let named: [(Outcome, String)] = [(.notFound, "not found"), (.forbidden, "forbidden"), (.notCancellable, "not cancellable"),
                                          (.invalidID, "invalid"), (.skipped, "skipped")]
        var text = ""
        for (outcome, name) in named where outcomes[outcome, default: 0] > 0 { text += "  \(outcomes[outcome, default: 0]) \(name)" }
        return text + "  \(outcomes[.failed, default: 0]) failed"
    }
}
