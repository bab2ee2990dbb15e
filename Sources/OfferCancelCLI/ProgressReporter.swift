import Foundation
import OfferCancelKit
import NIOConcurrencyHelpers

/// Redraws one progress line on stderr, as the console's status line (other lines are written
/// above it): done/total (total once the input is fully read), rate, ETA, failures, and flow control's concurrency limit, pace and 429s.
final class ProgressReporter: Sendable {
    private let progress: RunProgress
    private let governor: Governor?
    private let console: Console
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)

    init(progress: RunProgress, governor: Governor?, console: Console) {
        self.progress = progress
        self.governor = governor
        self.console = console
    }

    func start() {
        let (progress, governor, console) = (progress, governor, console)
        let clock = ContinuousClock()
        let started = clock.now
        task.withLockedValue {
            $0 = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(250))
                    let elapsed = clock.now - started
                    console.showStatus(Self.line(progress.snapshot, flow: governor?.statistics, elapsed: elapsed))
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

    static func line(_ snapshot: RunProgress.Snapshot, flow: FlowStatistics?, elapsed: Duration) -> String {
        let seconds = max(elapsed.seconds, 0.001)
        let rate = Double(snapshot.done) / seconds
        var text = snapshot.inputFinished ? "\(snapshot.done)/\(snapshot.read)" : "\(snapshot.done)/\(snapshot.read)+"
        text += String(format: "  %.0f/s", rate)
        if snapshot.inputFinished, rate > 0 {
            let remaining = Double(snapshot.read - snapshot.done) / rate
            text += String(format: "  ETA %.0fs", remaining)
        }
        text += "  \(snapshot.inFlight) in flight  \(snapshot.failures) failed"
        if let flow {
            text += "  limit \(flow.concurrencyLimit)"
            if let rate = flow.learnedRate { text += String(format: "  pace %.0f/s", rate) }
            if flow.throttled > 0 { text += "  429 ×\(flow.throttled)" }
        }
        return text
    }
}
