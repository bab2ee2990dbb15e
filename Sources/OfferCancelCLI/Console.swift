import Foundation
import OfferCancelKit
import Synchronization

/// The human side of the terminal: stderr lines, and what is a terminal.
struct Console: Sendable {
    let stderrIsTerminal = isatty(STDERR_FILENO) == 1
    let stdoutIsTerminal = isatty(STDOUT_FILENO) == 1

    /// Writes one line to stderr.
    func say(_ line: String) {
        write(line + "\n")
    }

    func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}

/// `-v`: every record in the failed class as one line on stderr.
struct VerboseSink: OfferSink {
    let console: Console

    func open(_ run: RunInfo) async throws {}

    func write(_ record: CancelRecord) async throws {
        guard !record.outcome.isOK else { return }
        var line = "offer-cancel: \(record.source):\(record.line) \(record.offerId) \(record.outcome.rawValue)"
        if let status = record.httpStatus { line += " HTTP \(status)" }
        if record.attempts > 1 { line += " after \(record.attempts) attempts" }
        if let message = record.errorMessage { line += ": \(message)" }
        console.say(line)
    }

    func close(_ summary: RunSummary) async throws {}
}

/// Turns the first SIGINT/SIGTERM into a graceful stop and the second into an immediate exit.
/// Keep it alive for the whole run: the dispatch sources live as long as it does.
final class SignalWatcher {
    private var sources: [any DispatchSourceSignal] = []
    private let state = ReceivedSignal()

    init(stop: StopSignal, console: Console) {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [state] in
                guard state.record(number) else { _exit(128 + number) }
                stop.stop()
                console.say("\noffer-cancel: stopping: finishing requests in flight (signal again to quit at once)")
            }
            source.resume()
            sources.append(source)
        }
    }

    /// The first signal received, if any.
    var received: Int32? { state.first }
}

/// The first signal of a run.
private final class ReceivedSignal: Sendable {
    private let value = Mutex<Int32?>(nil)

    /// Records `number` if it is the first; returns whether it was.
    func record(_ number: Int32) -> Bool {
        value.withLock { received in
            guard received == nil else { return false }
            received = number
            return true
        }
    }

    var first: Int32? { value.withLock { $0 } }
}
