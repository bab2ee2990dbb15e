import Foundation
import OfferCancelKit
import NIOConcurrencyHelpers

/// Turns SIGINT and SIGTERM into the run's shutdown:
/// 1. the first stops the run (``RunControl/stop()``): reading ends, nothing new starts,
///    requests in flight get the grace period;
/// 2. the second ends the grace at once: requests in flight are given up and recorded, the
///    records in hand are written, and the run exits — or, if that takes more than five
///    seconds (a sink that hangs), the process exits without them;
/// 3. a third exits at once.
///
/// Keep it alive for the whole run: the dispatch sources live as long as it does.
final class SignalWatcher {
    private var sources: [any DispatchSourceSignal] = []
    private let state = ReceivedSignals()

    init(control: RunControl, console: Console, grace: Double) {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [state] in
                switch state.record(number) {
                case 1:
                    console.say("\noffer-cancel: stopping: nothing new is sent; requests in flight get \(SignalWatcher.seconds(grace)) s (signal again to give them up now)")
                    control.stop()
                case 2:
                    console.say("\noffer-cancel: giving up the requests in flight; writing the records in hand (signal again to quit at once)")
                    control.endGrace()
                    DispatchQueue.global().asyncAfter(deadline: .now() + 5) { _exit(128 + (state.first ?? number)) }
                default:
                    _exit(128 + (state.first ?? number))
                }
            }
            source.resume()
            sources.append(source)
        }
    }

    /// The first signal received, if any.
    var received: Int32? { state.first }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}

/// The signals of a run: the first one, and how many came.
private final class ReceivedSignals: Sendable {
    private let value = NIOLockedValueBox<(first: Int32?, count: Int)>((nil, 0))

    /// Records `number`; returns how many signals have come, this one included.
    func record(_ number: Int32) -> Int {
        value.withLockedValue { state in
            if state.first == nil { state.first = number }
            state.count += 1
            return state.count
        }
    }

    var first: Int32? { value.withLockedValue { $0.first } }
}
