import JSONStream
import NIOConcurrencyHelpers

/// `--confirm`: after an accepted cancel, polls `GET /offers/{id}` until the offer is CLOSED
/// or the deadline passes — a stage of its own beside the cancels.
///
/// Offers waiting for CLOSED hold no request slot: only a poll on the wire takes one of the
/// stage's own `concurrency` slots (`--confirm-concurrency`), so confirming never slows the
/// cancels. Polls back off from 250 ms to 2 s, wait out the run's pauses and share its pace
/// (``Governor/paceDelay(now:)``), report what each reply says of the server's load
/// (``Governor/observe(_:sentAt:now:)``), and stop the moment the run halts.
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
        var polls = 0
        while clock.now < deadline {
            polls += 1
            guard await control.sleep(for: min(Self.pollBackoff.ceiling(after: polls), deadline - clock.now)) else {
                record.errorMessage = "not confirmed: the run stopped before the offer was seen CLOSED"
                return record
            }
            _ = await control.sleep(for: governor.paceDelay())
            guard !control.isHalted else { continue }
            // A poll waits for a slot until the deadline, and the last one a poll interval past
            // it: with many offers and few slots, the rest would otherwise queue for seconds.
            guard await slots.acquire(before: deadline + Self.lastPollGrace) else { break }
            let sentAt = ContinuousClock.now
            let verdict = ReplyClassifier.classify(await client.send(.offer(id)), latency: .now - sentAt)
            slots.release()
            if Task.isCancelled { break }
            governor.observe(verdict.signal, sentAt: sentAt)
            if let status = verdict.result.flatMap(OfferFields.status)?.string {
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

    /// The wait before each poll: 250 ms, doubling, up to 2 s.
    static let pollBackoff = Backoff(base: .milliseconds(250), cap: .seconds(2))

    /// How long past its deadline an offer's last poll may wait for a slot.
    static let lastPollGrace = Duration.milliseconds(250)

    /// A counting semaphore for polls on the wire, first come, first served.
    final class Slots: Sendable {
        private struct State {
            var free: Int
            var waiters = WaitList<Bool>()
        }

        private let state: NIOLockedValueBox<State>

        init(_ count: Int) { state = NIOLockedValueBox(State(free: count)) }

        /// Takes a slot; `false` (and no slot) when none came free before `deadline`, or when
        /// the task is cancelled.
        func acquire(before deadline: ContinuousClock.Instant) async -> Bool {
            if state.withLockedValue(Self.take) == true { return true }
            let ticket = state.withLockedValue { $0.waiters.ticket() }
            let expiry = Task { [state] in
                try? await Task.sleep(until: deadline)
                state.withLockedValue { $0.waiters.remove(ticket) }?.resume(returning: false)
            }
            defer { expiry.cancel() }
            // Past the deadline before the wait began, the expiry found nothing to take out.
            return await state.wait(in: \.waiters, ticket: ticket, ready: { state in
                Self.take(&state) ?? (ContinuousClock.now >= deadline ? false : nil)
            }, cancelled: false)
        }

        /// A free slot, taken; `nil` when none is free.
        private static func take(_ state: inout State) -> Bool? {
            guard state.free > 0 else { return nil }
            state.free -= 1
            return true
        }

        func release() {
            let next = state.withLockedValue { state -> CheckedContinuation<Bool, Never>? in
                if state.waiters.isEmpty {
                    state.free += 1
                    return nil
                }
                return state.waiters.popFirst()
            }
            next?.resume(returning: true)
        }
    }
}
