import NIOConcurrencyHelpers
@testable import OfferCancelKit
import Testing

/// The one queue of suspended tasks: first in, first out, each wait named by its ticket, and a
/// cancelled task never left waiting.
@Suite struct WaitListTests {
    struct State {
        var list = WaitList<Int>()
        var ready: Int?
    }

    let box = NIOLockedValueBox(State())

    func wait() async -> Int {
        await box.wait(in: \.list, ready: { $0.ready }, cancelled: -1)
    }

    /// Returns once `count` tasks wait in the list.
    func waitersReach(_ count: Int) async {
        while box.withLockedValue({ $0.list.count }) < count { await Task.yield() }
    }

    @Test func waitsAreResumedInTheOrderTheyBegan() async {
        var tasks: [Task<Int, Never>] = []
        for index in 0..<3 {
            tasks.append(Task { [self] in await wait() })
            await waitersReach(index + 1)
        }
        for value in [10, 20, 30] {
            box.withLockedValue { $0.list.removeFirst() }.forEach { $0.resume(returning: value) }
        }
        var values: [Int] = []
        for task in tasks { values.append(await task.value) }
        #expect(values == [10, 20, 30])
    }

    @Test func aReadyValueIsReturnedWithoutWaiting() async {
        box.withLockedValue { $0.ready = 7 }
        #expect(await wait() == 7)
        #expect(box.withLockedValue { $0.list.isEmpty })
    }

    @Test func aCancelledWaitReturnsTheCancelledValueAndLeavesTheList() async {
        let waiting = Task { [self] in await wait() }
        await waitersReach(1)
        waiting.cancel()
        #expect(await waiting.value == -1)
        #expect(box.withLockedValue { $0.list.isEmpty })
    }

    @Test func aTaskCancelledBeforeItWaitsDoesNotWait() async {
        let waiting = Task { [self] in
            withUnsafeCurrentTask { $0?.cancel() }
            return await wait()
        }
        #expect(await waiting.value == -1)
        #expect(box.withLockedValue { $0.list.isEmpty })
    }

    @Test func aTicketTakesOutExactlyItsWait() async {
        let first = Task { [self] in await wait() }
        await waitersReach(1)
        let ticket = box.withLockedValue { $0.list.ticket() }
        let second = Task { [self] in await box.wait(in: \.list, ticket: ticket, ready: { _ in nil }, cancelled: -1) }
        await waitersReach(2)
        box.withLockedValue { $0.list.remove(ticket) }?.resume(returning: 2)
        #expect(await second.value == 2)
        #expect(box.withLockedValue { $0.list.count } == 1, "the first still waits")
        box.withLockedValue { $0.list.removeAll() }.forEach { $0.resume(returning: 1) }
        #expect(await first.value == 1)
    }

    /// The confirmation stage's slots: a wait past its deadline gives up, a deadline already
    /// past never waits, and a released slot reaches the task that wants it.
    @Test func pollSlotsTimeOutAndAreHandedOver() async {
        let slots = ConfirmationStage.Slots(1)
        #expect(await slots.acquire(before: .now + .seconds(60)))
        #expect(await slots.acquire(before: .now + .milliseconds(20)) == false, "none free before the deadline")
        #expect(await slots.acquire(before: .now - .seconds(1)) == false, "a deadline already past")
        // Released before or while the task waits, the slot is its.
        let waiting = Task { await slots.acquire(before: .now + .seconds(60)) }
        slots.release()
        #expect(await waiting.value)
    }
}
