import Dispatch
import Foundation
import JSONStream
import Testing

/// jansson allocates from the arena: values made on one thread and freed on others, in any
/// order, give their blocks back; large values go to malloc and come back too.
@Suite struct JSONArenaTests {
    let seed = try! Array(Data(contentsOf: Fixture.seedReply))

    @Test func janssonAllocatesFromTheArena() {
        #expect(JSONArena.statistics.installed)
    }

    /// Eight threads parse, eight others read and drop, through a queue: every block made
    /// for the 40,000 replies is returned once its values are gone.
    @Test func valuesFreedOnOtherThreadsReturnTheirBlocks() async throws {
        let before = JSONArena.statistics
        let handOff = HandOff()
        let producers = 8, perProducer = 5_000
        let seed = seed
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<producers {
                group.addTask {
                    await onThread {
                        for _ in 0..<perProducer { handOff.put(try! JSONValue.parse(seed)) }
                    }
                }
            }
            for _ in 0..<producers {
                group.addTask {
                    await onThread {
                        for _ in 0..<perProducer {
                            let value = handOff.take()
                            precondition(value.value(atPath: "result.nft.chain")?.string == "MATIC")
                        }
                    }
                }
            }
        }
        var after = JSONArena.statistics
        #expect(after.blocksMade - before.blocksMade > 1_000, "40,000 replies fill thousands of blocks")
        // The counts are the whole process's: a test running alongside may hold a large tree for
        // a moment (an end-to-end test parses a 20,000-offer list), so wait for it to let go.
        for _ in 0..<120 where after.blocksHeld - before.blocksHeld >= 100 {
            try await Task.sleep(for: .milliseconds(500))
            after = JSONArena.statistics
        }
        #expect(after.blocksHeld - before.blocksHeld < 100, "blocks held: \(before.blocksHeld) → \(after.blocksHeld)")
    }

    /// Other tests run alongside: the counts allow for their few large values.
    @Test func largeValuesGoToMallocAndComeBack() throws {
        let before = JSONArena.statistics.largeLive
        let text = String(repeating: "’é漢🦊\"\\\n", count: 2_000)
        do {
            let values = try (0..<50).map { _ in try JSONValue.parse(JSONValue.string(text).serialized()) }
            #expect(values.allSatisfy { $0.string == text })
            #expect(JSONArena.statistics.largeLive >= before + 40)
        }
        #expect(JSONArena.statistics.largeLive < before + 10)
    }
}

/// Runs `body` on a thread of its own (not the cooperative pool) and waits for it.
private func onThread(_ body: @escaping @Sendable () -> Void) async {
    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
        Thread {
            body()
            done.resume()
        }.start()
    }
}

/// A blocking queue between threads.
private final class HandOff: @unchecked Sendable {
    // Every access to `values` holds `condition`'s lock.
    private let condition = NSCondition()
    private var values: [JSONValue] = []

    func put(_ value: JSONValue) {
        condition.lock()
        values.append(value)
        condition.signal()
        condition.unlock()
    }

    func take() -> JSONValue {
        condition.lock()
        defer { condition.unlock() }
        while values.isEmpty { condition.wait() }
        return values.removeFirst()
    }
}
