import Dispatch
import Foundation
import Testing

/// How much of the machine an end-to-end test takes while it runs: its real processes compete
/// for two cores with whatever else runs.
///
/// Every end-to-end suite names its share. Tests that only wait on their children (a mock's
/// latency, a retry's back-off, a list that streams) take ``one`` of ``SlotPool/capacity``
/// slots (one more than the cores: three of them overlap on two); tests whose assertions are
/// timings or in-flight counts take the ``whole`` machine and run alone, their suite at once.
/// Slots are handed out in the order asked for, so a test that needs the whole machine is never
/// starved by smaller ones. A suite whose tests mostly share names ``wholeMachine`` on the few
/// that measure timings: `@Suite(.serialized, .machineShare)` and `@Test(.wholeMachine)`.
///
/// Unit suites that start a market in the test process take a slot too: under a sanitizer, ten
/// times slower, a server starved by two end-to-end tests misses its clients' timeouts.
///
/// An end-to-end test body runs on a thread of its own, outside Swift's cooperative pool: the
/// harness waits on processes with blocking calls, and two such waits must not take both of
/// the pool's threads from the in-process servers of the unit suites that run beside them.
public struct MachineShare: SuiteTrait, TestTrait, TestScoping {
    let slots: Int
    /// Whether the test body runs on a thread of its own (it blocks on child processes).
    let ownThread: Bool

    /// One slot; blocks on child processes.
    static let one = MachineShare(slots: 1, ownThread: true)
    /// Runs alone: its assertions are timings, rates or in-flight counts.
    static let whole = MachineShare(slots: SlotPool.capacity, ownThread: true)
    /// One slot; serves a market in the test process.
    static let server = MachineShare(slots: 1, ownThread: false)

    /// Whether it takes every slot: then it holds them for its whole suite (one wait for the
    /// machine to drain, not one per test), or for one test when the test names it.
    public var isWhole: Bool { slots >= SlotPool.capacity }

    /// A share of one applies to each test case of its suite; the whole machine is taken once,
    /// by the suite or by the test that names it.
    public var isRecursive: Bool { !isWhole }

    public func scopeProvider(for test: Test, testCase: Test.Case?) -> MachineShare? {
        if isWhole { return test.isSuite || testCase == nil ? self : nil }
        // A test that takes the whole machine in a suite of shared tests takes only that.
        let wholeOfItsOwn = test.traits.contains { ($0 as? MachineShare)?.isWhole == true }
        return !test.isSuite && testCase != nil && !wholeOfItsOwn ? self : nil
    }

    public func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        await SlotPool.shared.acquire(slots)
        let started = ContinuousClock.now
        defer { SlotLog.shared?.held(slots, for: started.duration(to: .now), by: test, testCase) }
        do {
            if ownThread {
                try await withTaskExecutorPreference(BlockingWorkExecutor()) { try await function() }
            } else {
                try await function()
            }
        } catch {
            await SlotPool.shared.release(slots)
            throw error
        }
        await SlotPool.shared.release(slots)
    }
}

extension Trait where Self == MachineShare {
    /// One slot: an end-to-end test, which blocks on child processes.
    public static var machineShare: MachineShare { .one }
    /// Runs alone among the tests that take a share.
    public static var wholeMachine: MachineShare { .whole }
    /// One slot: a unit test that serves a market in process.
    public static var serverShare: MachineShare { .server }
}

/// A first-come, first-served pool of slots (a counting semaphore that never lets a later,
/// smaller request pass an earlier one).
actor SlotPool {
    /// One more than the cores by default: three tests that wait on their children kept 1.2 of
    /// two cores busy (the ThreadSanitizer suite: 451 s of CPU in 379 s). `OFFER_CANCEL_TEST_SLOTS`
    /// overrides it (1 runs every end-to-end test alone).
    static let capacity = max(1, ProcessInfo.processInfo.environment["OFFER_CANCEL_TEST_SLOTS"].flatMap { Int($0) }
        ?? ProcessInfo.processInfo.activeProcessorCount + 1)
    static let shared = SlotPool()

    private var free = SlotPool.capacity
    private var waiting: [(slots: Int, resume: CheckedContinuation<Void, Never>)] = []

    func acquire(_ slots: Int) async {
        if waiting.isEmpty && free >= slots {
            free -= slots
            return
        }
        await withCheckedContinuation { waiting.append((slots, $0)) }
    }

    func release(_ slots: Int) {
        free += slots
        while let first = waiting.first, first.slots <= free {
            free -= first.slots
            waiting.removeFirst()
            first.resume.resume()
        }
    }
}

/// Runs a test's jobs on a serial Dispatch queue, whose thread may block (on a child process,
/// a sleep) without taking a thread from Swift's cooperative pool.
final class BlockingWorkExecutor: TaskExecutor {
    private let queue = DispatchQueue(label: "end-to-end test")

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

/// With `OFFER_CANCEL_TEST_SLOT_LOG=FILE`, one line per share held: seconds held, slots, test
/// (`sort -rn FILE | head` names what the suite's wall time is spent on; `.ci/run` prints it).
final class SlotLog: Sendable {
    static let shared: SlotLog? = ProcessInfo.processInfo.environment["OFFER_CANCEL_TEST_SLOT_LOG"].flatMap(SlotLog.init(path:))
    private let descriptor: Int32

    init?(path: String) {
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0o644)
        if descriptor < 0 { return nil }
    }

    func held(_ slots: Int, for duration: Duration, by test: Test, _ testCase: Test.Case?) {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        // One write(2) of a whole line to an O_APPEND file: lines from two tests never interleave.
        let line = Array(String(format: "%8.1f %d ", seconds, slots).utf8) + Array("\(test.name)\n".utf8)
        _ = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    }
}
