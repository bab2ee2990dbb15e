@testable import OfferCancelKit
import Testing

/// The two queues of the run's loop: the ``Mailbox`` its tasks post to, the ``JobQueue`` it
/// feeds its workers from. Many producers, nothing lost, nothing twice, order kept.
@Suite struct LoopQueuesTests {
    /// Events posted from many tasks while the consumer takes: each arrives once, and each
    /// producer's in the order it posted them.
    @Test func theMailboxLosesNothingAndKeepsEachProducersOrder() async {
        let mailbox = Mailbox<(producer: Int, number: Int)>()
        let producers = 8, each = 500
        await withDiscardingTaskGroup { group in
            for producer in 0..<producers {
                group.addTask {
                    for number in 0..<each {
                        mailbox.post((producer, number))
                        if number % 50 == 0 { await Task.yield() }
                    }
                }
            }
            var next = [Int](repeating: 0, count: producers)
            var taken = 0, turns = 0
            while taken < producers * each {
                let events = await mailbox.take()
                #expect(!events.isEmpty, "a take returns something")
                turns += 1
                for event in events {
                    #expect(event.number == next[event.producer], "producer \(event.producer) in order")
                    next[event.producer] = event.number + 1
                }
                taken += events.count
            }
            #expect(next == [Int](repeating: each, count: producers))
        }
    }

    /// A take with nothing posted waits for the next post.
    @Test func aTakeWaitsForThePost() async {
        let mailbox = Mailbox<Int>()
        async let taken = mailbox.take()
        try? await Task.sleep(for: .milliseconds(20))
        mailbox.post(7)
        #expect(await taken == [7])
    }

    /// Jobs go first in, first out to whichever worker asks; every job submitted is taken once,
    /// and closing ends the workers only once the queue is empty.
    @Test func everyJobIsTakenOnceAndCloseEndsTheWorkers() async {
        let jobs = JobQueue<Int>()
        let workers = 4, count = 2_000
        let done = Mailbox<Int>()
        await withDiscardingTaskGroup { group in
            for _ in 0..<workers {
                group.addTask {
                    while let job = await jobs.next() { done.post(job) }
                    done.post(-1)
                }
            }
            for job in 0..<count { jobs.submit(job) }
            jobs.close()
            var taken: [Int] = [], ended = 0
            while ended < workers {
                for job in await done.take() {
                    if job < 0 { ended += 1 } else { taken.append(job) }
                }
            }
            #expect(taken.sorted() == Array(0..<count))
        }
    }

    /// A worker whose task was cancelled still takes the job handed to it: the run counts on
    /// every submitted cancel coming back as a record.
    @Test func aCancelledWorkerStillTakesWhatIsQueued() async {
        let jobs = JobQueue<Int>()
        let worker = Task {
            var taken: [Int] = []
            while let job = await jobs.next() { taken.append(job) }
            return taken
        }
        worker.cancel()
        jobs.submit(1)
        jobs.submit(2)
        jobs.close()
        #expect(await worker.value == [1, 2])
    }
}
