import Foundation
import OfferCancelKit
import Synchronization

/// Redraws one progress line on stderr: done/total (total once the input is fully read),
/// rate, ETA and failures.
final class ProgressReporter: Sendable {
    private let progress: RunProgress
    private let console: Console
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(progress: RunProgress, console: Console) {
        self.progress = progress
        self.console = console
    }

    func start() {
        let (progress, console) = (progress, console)
        let clock = ContinuousClock()
        let started = clock.now
        task.withLock {
            $0 = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(250))
                    let elapsed = clock.now - started
                    console.write("\r\u{1B}[K" + Self.line(progress.snapshot, elapsed: elapsed))
                }
            }
        }
    }

    func finish() async {
        let running = task.withLock { $0 }
        running?.cancel()
        await running?.value
        console.write("\r\u{1B}[K")
    }

    static func line(_ snapshot: RunProgress.Snapshot, elapsed: Duration) -> String {
        let seconds = max(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, 0.001)
        let rate = Double(snapshot.done) / seconds
        var text = snapshot.inputFinished ? "\(snapshot.done)/\(snapshot.read)" : "\(snapshot.done)/\(snapshot.read)+"
        text += String(format: "  %.0f/s", rate)
        if snapshot.inputFinished, rate > 0 {
            let remaining = Double(snapshot.read - snapshot.done) / rate
            text += String(format: "  ETA %.0fs", remaining)
        }
        text += "  \(snapshot.inFlight) in flight  \(snapshot.failures) failed"
        return text
    }
}
