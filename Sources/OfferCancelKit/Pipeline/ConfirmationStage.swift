import JSONStream
import NIOConcurrencyHelpers

/// `--confirm`: after an accepted cancel, polls `GET /offers/{id}` until the offer is CLOSED
/// or the deadline passes — a stage of its own beside the cancels.
///
/// Offers waiting for CLOSED hold no request slot: only a poll on the wire takes one of the
/// stage's own `concurrency` slots (`--confirm-concurrency`), so confirming never slows the
/// cancels. Polls back off from 250 ms to 2 s, wait out the run's pauses and share its pace
/// (``Governor/paceDelay(now:)``), and stop the moment the run halts.
struct ConfirmationStage: Sendable {
    let client: MarketClient
    let governor: Governor
    let control: RunControl
    let timeout: Duration
    let slots: Slots

    init(client: MarketClient, governor: Governor, control: RunControl, timeout: Duration, concurrency: Int) {
        self.client = client
        self.governor = governor
        self.control = control
        self.timeout = timeout
        slots = Slots(max(1, concurrency))
    }

    /// `record` (the accepted cancel of `id`) with `confirmed` set, and `offerStatus` as last seen.
    func confirm(_ record: CancelRecord, id: OfferID) async -> CancelRecord {
        var record = record
        record.confirmed = false
        let clock = ContinuousClock()
        let accepted = clock.now
        let deadline = accepted + timeout
        var wait = Duration.milliseconds(250)
        while clock.now < deadline {
            guard await control.sleep(for: min(wait, deadline - clock.now)) else {
                record.errorMessage = "not confirmed: the run stopped before the offer was seen CLOSED"
                return record
            }
            wait = min(wait * 2, .seconds(2))
            _ = await control.sleep(for: governor.paceDelay())
            guard !control.isHalted else { continue }
            await slots.acquire()
            let reply = await client.send(.offer(id))
            slots.release()
            if Task.isCancelled { break }
            if let status = reply.body?["result"]?["status"]?.string {
                record.offerStatus = status
                if status == "CLOSED" {
                    record.confirmed = true
                    record.confirmationMs = Double((clock.now - accepted).nanoseconds) / 1e6
                    return record
                }
            }
        }
        record.errorMessage = "not confirmed: the offer was not seen CLOSED within the confirm timeout"
        return record
    }

    /// A counting semaphore for polls on the wire.
    final class Slots: Sendable {
        private struct State {
            var free: Int
            var waiters: [CheckedContinuation<Void, Never>] = []
        }

        private let state: NIOLockedValueBox<State>

        init(_ count: Int) { state = NIOLockedValueBox(State(free: count)) }

        func acquire() async {
            await withCheckedContinuation { continuation in
                let granted = state.withLockedValue { state in
                    if state.free > 0 {
                        state.free -= 1
                        return true
                    }
                    state.waiters.append(continuation)
                    return false
                }
                if granted { continuation.resume() }
            }
        }

        func release() {
            let next = state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
                if state.waiters.isEmpty {
                    state.free += 1
                    return nil
                }
                return state.waiters.removeFirst()
            }
            next?.resume()
        }
    }
}
