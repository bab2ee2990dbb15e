import NIOCore
import NIOHTTP1
import NIOPosix
@testable import OfferCancelKit
import Testing

/// `EventLoopFuture.getThroughLock()`: what an event loop made reaches the awaiting task whole,
/// in an order ThreadSanitizer sees. Under TSan (CI's suite) the first test reports a race
/// with NIO's `get()` in place of it: the loop makes each head after the task's last lock of
/// its own, as the HTTP decoder makes a reply's, and nothing TSan sees orders the two.
@Suite struct FutureHandOverTests {
    @Test func whatTheLoopMadeIsWhatTheTaskReads() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for task in 0..<4 {
                tasks.addTask {
                    for n in 0..<500 {
                        let loop = group.next()
                        let made = loop.makePromise(of: HTTPResponseHead.self)
                        // A head's storage is a class, written where it is made.
                        loop.scheduleTask(in: .microseconds(100)) {
                            made.succeed(HTTPResponseHead(version: .http1_1, status: .accepted, headers: ["n": "\(task)-\(n)"]))
                        }
                        let head = try await made.futureResult.getThroughLock()
                        #expect(head.isKeepAlive && head.status == .accepted && head.headers.first(name: "n") == "\(task)-\(n)")
                    }
                }
            }
            try await tasks.waitForAll()
        }
        try await group.shutdownGracefully()
    }

    @Test func aFailureIsThrown() async throws {
        struct Refused: Error, Equatable {}
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let failed: EventLoopFuture<Int> = loop.submit { throw Refused() }
        await #expect(throws: Refused()) { try await failed.getThroughLock() }
        // A future completed before it is awaited.
        #expect(try await loop.makeSucceededFuture(7).getThroughLock() == 7)
        try await group.shutdownGracefully()
    }
}
