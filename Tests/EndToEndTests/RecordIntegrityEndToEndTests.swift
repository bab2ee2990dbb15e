import Foundation
import JSONStream
import Testing
import TestSupport

extension EndToEnd {
    /// Nothing acted on without a record: a lost record stream stops the cancels, files are
    /// never destroyed before the configuration is valid, input streams, shutdown is prompt.
    @Suite(.serialized, .machineShare) struct RecordIntegrityEndToEndTests {
        let scratch: Scratch

        init() throws { scratch = try Scratch() }

        func cancels(_ market: MockProcess) async throws -> Int {
            Int(try await market.stats()["requests"]?["cancel"]?.integer ?? 0)
        }

        func summaryJSON(_ path: String) throws -> JSONValue {
            try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        }

        // MARK: A lost record stream stops the cancels

        @Test func aBrokenPipeStopsTheCancels() async throws {
            let market = try MockProcess()
            let ids = try IDFile(count: 2000)
            let stats = scratch.file("stats.json")
            let run = try shell("offer-cancel --base-url \(market.baseURL) -c 16 --sink ndjson:- --sink summary-json:\(stats) \(ids.path) | head -1 > /dev/null; exit ${PIPESTATUS[0]}")
            #expect(run.status == 3, "\(run.stderr)")
            let summary = try summaryJSON(stats)
            let kept = try #require(summary["recordsKept"]?.integer)
            let sent = try await cancels(market)
            #expect(sent <= Int(kept) + 64, "\(sent) cancels, \(kept) records: at most -c in flight when the consumer died")
            #expect(sent < 2000)
            #expect(run.stderr.contains("not recorded: "))
            #expect(run.stderr.contains("to finish the job: offer-cancel --resume"))
        }

        @Test func aFullDiskStopsTheCancelsAndLeavesWholeLines() async throws {
            guard let disk = SmallFilesystem(kilobytes: 64) else {
                print("skipped: cannot mount a tmpfs here (needs root)")
                return
            }
            let market = try MockProcess()
            let ids = try IDFile(count: 2000)
            let log = disk.file("log.ndjson")
            let run = try CancelRun.run(["--base-url", market.baseURL, "--sink", "ndjson:+\(log)", "--sink", "summary", ids.path])
            #expect(run.status == 3)
            let text = try String(contentsOfFile: log, encoding: .utf8)
            #expect(text.hasSuffix("\n"), "no torn last line")
            let lines = text.split(separator: "\n")
            #expect(lines.allSatisfy { (try? JSONValue.parse(Array($0.utf8))) != nil }, "every line is a whole record")
            let sent = try await cancels(market)
            #expect(sent <= lines.count + 64, "\(sent) cancels, \(lines.count) records: at most -c in flight when the disk filled")
            #expect(run.stderr.contains("offers acted on after the record stream was lost"))
        }

        @Test func anExecConsumerThatDiesStopsTheCancels() async throws {
            let market = try MockProcess()
            let ids = try IDFile(count: 2000)
            let stats = scratch.file("stats.json")
            let run = try CancelRun.run(["--base-url", market.baseURL, "--sink", "exec:head -c 3000 > /dev/null", "--sink", "summary-json:\(stats)", ids.path])
            #expect(run.status == 3)
            let kept = try #require(try summaryJSON(stats)["recordsKept"]?.integer)
            let sent = try await cancels(market)
            #expect(sent <= Int(kept) + 64, "\(sent) cancels, \(kept) records: at most -c in flight when the consumer died")
            // Only offers acted on are listed (the items skipped after the abort used to be too),
            // and the way to finish names a command that works without a log to resume from.
            let notRecorded = run.stderr.split(separator: "\n").filter { $0.hasPrefix("offer-cancel: not recorded: ") || $0.hasPrefix("not recorded: ") }
            #expect(notRecorded.count <= sent - Int(kept), "\(notRecorded.count) lines, \(sent) sent, \(kept) kept")
            #expect(!run.stderr.contains("--resume LOG"), "\(run.stderr.suffix(400))")
            #expect(run.stderr.contains("to finish the job: offer-cancel --sink ndjson:run.ndjson \(ids.path) (this run kept no record log in a file"), "\(run.stderr.suffix(400))")
        }

        @Test func anExecConsumerThatDoesNotExistIsAUsageError() async throws {
            let market = try MockProcess()
            let ids = try IDFile(count: 50)
            let run = try CancelRun.run(["--base-url", market.baseURL, "--sink", "exec:no-such-consumer -c .", ids.path])
            #expect(run.status == 2)
            #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
            #expect(run.stderr.contains("no-such-consumer: command not found"))
            #expect(try await cancels(market) == 0)
        }

        // MARK: Validate before destroying

        /// Each case names the file that must survive and the arguments that once destroyed it.
        @Test(arguments: ["sink-on-input", "sink-on-resume-log", "two-sinks-one-file", "no-credentials", "no-record-keeper"])
        func filesSurviveAMisconfiguredRun(_ kind: String) async throws {
            let market = try MockProcess()
            let ids = try IDFile(count: 20)
            let victim = try scratch.file("victim.txt", ids.ids.joined(separator: "\n") + "\n")
            let log = try scratch.file("run.ndjson", #"{"offerId":"\#(ids.ids[0])","outcome":"cancelled"}"# + "\n")
            let results = try scratch.file("results.csv", "yesterday's results\n")
            var environment = ["ARKANE_TOKEN": "mock-token"]
            let (arguments, survivor): ([String], String) = switch kind {
            case "sink-on-input": (["--sink", "ndjson:\(victim)", victim], victim)
            case "sink-on-resume-log": (["--resume", log, "--sink", "ndjson:\(log)", ids.path], log)
            case "two-sinks-one-file": (["--sink", "csv:\(results)", "--sink", "ndjson:\(scratch.path)/./results.csv", ids.path], results)
            case "no-credentials": (["--sink", "csv:\(results)", ids.path], results)
            default: (["--sink", "summary-json:\(results)", ids.path], results)
            }
            if kind == "no-credentials" { environment = [:] }
            let before = try Data(contentsOf: URL(fileURLWithPath: survivor))
            let run = try CancelRun.run(["--base-url", market.baseURL] + arguments, environment: environment)
            #expect(run.status == 2, "\(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count == 1, "one line: \(run.stderr)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: survivor)) == before, "the file is untouched")
            #expect(try await cancels(market) == 0)
        }

        @Test func aSinkThatCannotOpenIsOneLineNotACrash() throws {
            let ids = try IDFile(count: 20)
            let run = try CancelRun.run(["--base-url", "http://127.0.0.1:9", "--sink", "csv:/dev/full", ids.path])
            #expect(run.status == 2 || run.status == 3)
            #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
            #expect(!run.stderr.contains("Fatal error") && !run.stderr.contains("backtrace"))
        }

        // MARK: Streaming input and prompt shutdown

        @Test(.wholeMachine) func idsFromASlowPipeAreSentAndRecordedAtOnce() async throws {
            let market = try MockProcess()
            let ids = try IDFile(count: 20)
            let producer = Process()
            producer.executableURL = URL(fileURLWithPath: "/bin/sh")
            producer.arguments = ["-c", "cat '\(ids.path)'; sleep 30"]
            let pipe = Pipe()
            producer.standardOutput = pipe
            try producer.run()
            defer { producer.terminate() }
            let run = try LiveRun(["--base-url", market.baseURL, "-"], stdin: pipe.fileHandleForReading)
            try pipe.fileHandleForWriting.close()
            #expect(run.wait(upTo: 20) { run.stdoutLines.count == 20 }, "all 20 records while the producer still sleeps")
            run.signal(SIGINT)
            let took = try #require(run.waitForExit(upTo: 20), "SIGINT ends a run that waits on its input")
            #expect(took < 5, "ended \(took) s after SIGINT")
            #expect(run.status == 130)
            #expect(producer.isRunning, "the producer is still sleeping: nothing waited for its end")
        }

        @Test(.wholeMachine) func aStalledRequestIsGivenUpAfterTheGrace() async throws {
            let market = try MockProcess(["--fault-stall", "1", "--stall-ms", "60000"])
            let ids = try IDFile(count: 100)
            let run = try LiveRun(["--base-url", market.baseURL, "-c", "4", "--grace", "2", ids.path])
            for _ in 0..<100 where try await cancels(market) < 4 { try await Task.sleep(for: .milliseconds(100)) }
            #expect(try await cancels(market) == 4, "four requests stall at the market")
            run.signal(SIGINT)
            let took = try #require(run.waitForExit(upTo: 30))
            #expect(took < 2 + 4, "grace 2 s, ended after \(took) s")
            #expect(run.status == 130)
            let lines = run.stdoutLines
            let stalled = lines.filter { $0.contains(#""outcome":"failed""#) && $0.contains("may or may not have been applied") }
            #expect(stalled.count == 4, "the four stalled items are recorded: \(lines)")
            // The items read ahead for the next free slots were never sent: skipped, for --resume.
            #expect(lines.count <= 8 && lines.count - stalled.count == lines.filter { $0.contains(#""outcome":"skipped""#) }.count)
            #expect(run.stderr.contains("interrupted"))
        }

        @Test(.wholeMachine) func aSecondSignalGivesUpAtOnceAndKeepsFinishedRecords() async throws {
            let market = try MockProcess(["--fault-stall", "0.3", "--stall-ms", "60000"])
            let ids = try IDFile(count: 200)
            let run = try LiveRun(["--base-url", market.baseURL, "-c", "8", "--grace", "60", ids.path])
            #expect(run.wait(upTo: 20) { run.stdoutLines.count >= 5 })
            try await Task.sleep(for: .milliseconds(500))
            run.signal(SIGINT)
            try await Task.sleep(for: .milliseconds(500))
            run.signal(SIGINT)
            let took = try #require(run.waitForExit(upTo: 30))
            #expect(took < 10, "a second signal does not wait out a 60 s grace")
            #expect(run.status == 130)
            let records = run.stdoutLines.compactMap { try? JSONValue.parse(Array($0.utf8)) }
            let answered = try #require(try await market.stats()["cancelReplies"]?["cancelled"]?.integer)
            let recordedAnswers = records.filter { $0["outcome"]?.string == "cancelled" }.count
            #expect(recordedAnswers == answered, "every finished request has its record")
            #expect(records.contains { $0["errorMessage"]?.string?.contains("may or may not") == true }, "stalled ones are recorded too")
        }

        @Test(.wholeMachine) func sigtermEndsWithinTheGraceAndExits143() async throws {
            let market = try MockProcess(["--fault-stall", "0.5", "--stall-ms", "60000"])
            let ids = try IDFile(count: 2000)
            let run = try LiveRun(["--base-url", market.baseURL, "-c", "4", "--grace", "1", ids.path])
            for _ in 0..<100 where try await cancels(market) < 4 { try await Task.sleep(for: .milliseconds(100)) }
            run.signal(SIGTERM)
            let took = try #require(run.waitForExit(upTo: 30))
            #expect(took < 1 + 4, "grace 1 s, ended after \(took) s")
            #expect(run.status == 143)
            #expect(run.stdoutLines.count < 2000)
        }

        @Test func ctrlCReachesTheToolNotTheExecConsumer() async throws {
            let market = try MockProcess(["--latency-ms", "20"])
            let ids = try IDFile(count: 3000)
            let out = scratch.file("consumer.ndjson"), stats = scratch.file("stats.json")
            let run = try LiveRun(["--base-url", market.baseURL, "-c", "8", "--sink", "exec:cat > '\(out)'", "--sink", "summary-json:\(stats)", ids.path])
            #expect(run.wait(upTo: 20) { ((try? Data(contentsOf: URL(fileURLWithPath: out)))?.count ?? 0) > 1000 })
            run.signalGroup(SIGINT)
            #expect(run.waitForExit(upTo: 30) != nil)
            #expect(run.status == 130, "\(run.stderr)")
            let total = try #require(try summaryJSON(stats)["total"]?.integer)
            let consumed = try String(contentsOfFile: out, encoding: .utf8)
            #expect(consumed.hasSuffix("\n"))
            #expect(consumed.split(separator: "\n").count == Int(total), "the consumer got every record and end of input")
            #expect(total < 3000)
        }
    }
}

extension EndToEnd.RecordIntegrityEndToEndTests {
    /// On a terminal with no --sink, records go to a file named after the run, and the run says where.
    @Test func onATerminalRecordsGoToAFileNamedAfterTheRun() async throws {
        let market = try MockProcess()
        let ids = try IDFile(count: 25)
        let folder = scratch.file("here")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let binary = try Binaries.path("offer-cancel")
        // `script` runs the command with a pseudo-terminal as its stdin, stdout and stderr.
        let run = try shell("cd '\(folder)' && script -qec \"'\(binary)' --base-url \(market.baseURL) '\(ids.path)'\" /dev/null")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix("offer-cancel-") && $0.hasSuffix(".ndjson") }
        #expect(files.count == 1, "\(files) — \(run.stderr)")
        let text = try String(contentsOfFile: folder + "/" + (files.first ?? "?"), encoding: .utf8)
        #expect(text.split(separator: "\n").count == 25)
        #expect(try await cancels(market) == 25)
    }
}
