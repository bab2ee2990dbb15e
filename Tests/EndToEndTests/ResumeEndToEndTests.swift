import Foundation
import JSONStream
import Testing
import TestSupport

extension EndToEnd {
    /// Nothing lost: a Ctrl-C or a crash leaves a log that `--resume` completes.
    @Suite(.serialized, .machineShare) struct ResumeEndToEndTests {
        let log = NSTemporaryDirectory() + "e2e-log-\(UUID().uuidString).ndjson"

        func logRecords() throws -> [JSONValue] {
            let reader = NDJSONReader(input: try ByteInput(path: log), maxLineLength: 1 << 20)
            var records: [JSONValue] = []
            while let item = try reader.next() { records.append(try item.value.get()) }
            return records
        }

        @Test func ctrlCFinishesWhatIsInFlightThenResumeDoesTheRest() async throws {
            let market = try MockProcess(["--latency-ms", "30"])
            let ids = try IDFile(count: 600)
            let first = try CancelRun.run(["--base-url", market.baseURL, "--rate", "200/s", "-c", "8", "--sink", "ndjson:\(log)", "--sink", "summary", ids.path],
                                          signal: SIGINT, signalWhen: { lineCount(log) >= 60 })
            #expect(first.status == 130)
            #expect(first.stderr.contains("stopping: nothing new is sent"))
            #expect(first.stderr.contains("interrupted"), "the summary is printed and says so")
            let recorded = try logRecords()
            let sent = try await market.stats()["requests"]?["cancel"]?.integer ?? -1
            let cancelled = recorded.filter { $0["outcome"]?.string == "cancelled" }
            #expect(cancelled.count > 50 && recorded.count < 600)
            #expect(Int64(cancelled.count) == sent, "every request sent before the stop has its record")
            #expect(recorded.allSatisfy { ["cancelled", "skipped"].contains($0["outcome"]?.string ?? "") },
                    "items read but not yet sent at the stop are recorded skipped, never sent")

            let second = try CancelRun.run(["--base-url", market.baseURL, "--resume", log, "--sink", "ndjson:+\(log)", "--sink", "summary", ids.path])
            #expect(second.status == 0)
            #expect(second.stderr.contains("passed over \(cancelled.count) items the log settled (\(cancelled.count) cancelled)"))
            let all = try logRecords()
            var last: [Int64: JSONValue] = [:]
            for record in all { if let seq = record["seq"]?.integer { last[seq] = record } }
            #expect(last.count == 600, "seq numbers stay those of the input")
            #expect(Set(last.values.compactMap { $0["offerId"]?.string }) == Set(ids.ids))
            #expect(last.values.allSatisfy { $0["outcome"]?.string == "cancelled" }, "the last record of every item says cancelled")
            let calls = try await market.stats()["cancelCalls"]
            #expect(ids.ids.allSatisfy { calls?[$0]?.integer == 1 }, "no offer was cancelled twice")
        }

        /// A run that keeps only a CSV log is interrupted; the command it prints to finish the
        /// job resumes from that log, and the job ends with every offer cancelled once.
        @Test func aCSVOnlyRunIsFinishedByTheCommandItPrints() async throws {
            let market = try MockProcess(["--latency-ms", "30"])
            let ids = try IDFile(count: 600)
            let csv = NSTemporaryDirectory() + "e2e-log-\(UUID().uuidString).csv"
            defer { try? FileManager.default.removeItem(atPath: csv) }
            let first = try CancelRun.run(["--base-url", market.baseURL, "--rate", "200/s", "-c", "8", "--sink", "csv:\(csv)", "--sink", "summary", ids.path],
                                          signal: SIGINT, signalWhen: { lineCount(csv) >= 60 })
            #expect(first.status == 130)
            let prefix = "offer-cancel: to finish the job: "
            let finish = try #require(first.stderr.split(separator: "\n").first { $0.hasPrefix(prefix) })
            let command = String(finish.dropFirst(prefix.count))
            #expect(command == "offer-cancel --resume \(csv) --sink csv:+\(csv) \(ids.path)")
            let second = try shell(command + " --base-url \(market.baseURL) -q")
            #expect(second.status == 0, "\(second.stderr)")
            let report = try CancelRun.run(["report", "--format", "json", csv])
            let merged = try JSONValue.parse(Array(report.stdout))
            #expect(merged["total"]?.integer == 600 && merged["outcomes"]?["cancelled"]?.integer == 600, "\(merged)")
            let calls = try await market.stats()["cancelCalls"]
            #expect(ids.ids.allSatisfy { calls?[$0]?.integer == 1 }, "no offer was cancelled twice")
        }

        @Test func aKilledRunLeavesWholeLinesAndResumeSettlesEveryID() async throws {
            let market = try MockProcess(["--latency-ms", "50"])
            let ids = try IDFile(count: 400)
            let first = try CancelRun.run(["--base-url", market.baseURL, "--rate", "150/s", "-c", "16", "--sink", "ndjson:\(log)", ids.path],
                                          signal: SIGKILL, signalWhen: { lineCount(log) >= 40 })
            #expect(first.status == SIGKILL || first.status == 128 + SIGKILL || first.status == 9)
            let text = try String(contentsOfFile: log, encoding: .utf8)
            #expect(text.isEmpty || text.hasSuffix("\n"), "only whole lines")
            let before = try logRecords()
            #expect(before.count < 400)

            let second = try CancelRun.run(["--base-url", market.baseURL, "--resume", log, "--sink", "ndjson:+\(log)", "-q", ids.path])
            #expect(second.status == 0)
            let all = try logRecords()
            let settled = Set(all.filter { ["cancelled", "already_closed"].contains($0["outcome"]?.string ?? "") }.compactMap { $0["offerId"]?.string })
            #expect(settled == Set(ids.ids), "every ID is settled after the resume")
            // Requests in flight at the kill were never recorded; they are sent again and now answer "already closed".
            let calls = try await market.stats()["cancelCalls"]
            #expect(ids.ids.allSatisfy { (calls?[$0]?.integer ?? 0) <= 2 })
        }

        @Test func resumeNeedsAReadableLog() throws {
            let ids = try IDFile(count: 1)
            let run = try CancelRun.run(["--dry-run", "--resume", "/nonexistent/log.ndjson", ids.path], environment: [:])
            #expect(run.status == 2)
            #expect(run.stderr.contains("/nonexistent/log.ndjson"))
        }
    }
}
