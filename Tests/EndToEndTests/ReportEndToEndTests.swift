import Foundation
import JSONStream
import Testing
import TestSupport

extension EndToEnd {
    /// `offer-cancel report`: logs of faulty, resumed runs read back into one account.
    @Suite(.serialized, .machineShare) struct ReportEndToEndTests {
        let scratch: Scratch

        init() throws { scratch = try Scratch() }

        /// `report --format json` of `logs`, parsed.
        func jsonReport(_ logs: [String]) throws -> JSONValue {
            let run = try CancelRun.run(["report", "--format", "json"] + logs)
            #expect(run.status == 0, "\(run.stderr)")
            return try JSONValue.parse(Array(run.stdout))
        }

        static let replies = ["cancelled", "already_closed", "not_found", "forbidden", "not_cancellable"]

        /// A mixed market that fails 15 % of requests; a first run gives up at once, a resumed
        /// run settles the rest. The report counts each offer once, as the market answered it.
        @Test func aFaultyResumedRunReportsWhatTheMarketAnswered() async throws {
            let market = try MockProcess(["--mixed", "--fault-500", "0.15"])
            let ids = try IDFile(count: 400)
            let log = scratch.file("run.ndjson")
            let first = try CancelRun.run(["--base-url", market.baseURL, "-q", "--max-attempts", "1", "--sink", "ndjson:\(log)", ids.path])
            #expect(first.status == 1, "\(first.stderr)")
            let second = try CancelRun.run(["--base-url", market.baseURL, "-q", "--resume", log, "--max-attempts", "10", "--backoff-base", "1",
                                            "--sink", "ndjson:+\(log)", ids.path])
            #expect(second.status == 1, "forbidden and not-found offers stay failures: \(second.stderr)")
            let report = try jsonReport([log])
            let stats = try await market.stats()
            #expect(report["total"]?.integer == 400)
            #expect(report["runs"]?.integer == 2)
            #expect(report["tornLines"]?.integer == 0)
            #expect(report["recordsRead"]?.integer == Int64(lineCount(log)))
            #expect(report["outcomes"]?["failed"]?.integer == 0, "the resumed run's records override the failures")
            // Each offer's answer came from the market once — or, after a 500, from looking the offer up.
            var last: [Int64: JSONValue] = [:]
            for line in try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n") {
                let record = try JSONValue.parse(String(line))
                last[try #require(record["seq"]?.integer)] = record
            }
            for name in Self.replies {
                let lookedUp = last.values.filter { $0["outcome"]?.string == name && ($0["httpStatus"]?.integer ?? 0) >= 500 }.count
                #expect(report["outcomes"]?[name]?.integer == (stats["cancelReplies"]?[name]?.integer ?? 0) + Int64(lookedUp), "\(name)")
            }
            #expect(report["requests"]?.integer == stats["requests"]?["cancel"]?.integer, "every request either run made")
            #expect(report["unsettled"]?.integer == 0)
        }

        /// A full disk: the page is one line and exit 2 with nothing half-written left; the summary
        /// to stdout is one line and exit 1.
        @Test func aFullDiskIsOneLineAndLeavesNoHalfPage() throws {
            guard let disk = SmallFilesystem(kilobytes: 16) else {
                print("skipped: cannot mount a tmpfs here (needs root)")
                return
            }
            let market = try MockProcess(["--mixed"])
            let ids = try IDFile(count: 300)
            let log = scratch.file("run.ndjson")
            _ = try CancelRun.run(["--base-url", market.baseURL, "-q", "--sink", "ndjson:\(log)", ids.path])
            // 12 of the 16 KiB filled: the page (CSS, charts, tables) does not fit in the rest.
            let filler = disk.file("filler")
            _ = try shell("head -c 12288 /dev/zero > '\(filler)'")
            let page = disk.file("report.html")
            let html = try CancelRun.run(["report", log, "--html", page])
            #expect(html.status == 2, "\(html.stderr)")
            #expect(html.stderr.contains("cannot write \(page)"), "\(html.stderr)")
            #expect(html.stderr.split(separator: "\n").count == 1, "\(html.stderr)")
            let left = try FileManager.default.contentsOfDirectory(atPath: disk.path)
            #expect(left == ["filler"], "nothing half-written: \(left)")
            _ = try shell("head -c 16384 /dev/zero > '\(filler)' 2>/dev/null")
            let out = disk.file("summary.json")
            let summary = try shell("offer-cancel report '\(log)' --format json > '\(out)'")
            #expect(summary.status == 1, "\(summary.stderr)")
            #expect(summary.stderr.contains("writing the report to stdout"), "\(summary.stderr)")
            #expect(summary.stderr.split(separator: "\n").count == 1, "\(summary.stderr)")
        }

        /// `--failed` lists what is not settled; fed back, those offers settle.
        @Test func failedOffersFedBackAreResolved() throws {
            let market = try MockProcess(["--fault-500", "0.3"])
            let ids = try IDFile(count: 200)
            let log = scratch.file("run.ndjson")
            let first = try CancelRun.run(["--base-url", market.baseURL, "-q", "--max-attempts", "1", "--sink", "ndjson:\(log)", ids.path])
            #expect(first.status == 1)
            let failedCount = try #require(jsonReport([log])["outcomes"]?["failed"]?.integer)
            #expect(failedCount > 20)
            let listed = try CancelRun.run(["report", log, "--failed"])
            #expect(listed.status == 0)
            let failedIDs = String(decoding: listed.stdout, as: UTF8.self).split(separator: "\n").map(String.init)
            #expect(failedIDs.count == Int(failedCount))
            #expect(Set(failedIDs).isSubset(of: Set(ids.ids)))
            #expect(listed.stderr.contains("\(failedCount) offers not settled"))

            // The API has recovered: the failed offers, fed back on stdin, are cancelled.
            let recovered = try MockProcess()
            let again = try shell("offer-cancel report '\(log)' --failed | offer-cancel --base-url \(recovered.baseURL) -q --sink ndjson:+'\(log)' -")
            #expect(again.status == 0, "\(again.stderr)")
            let report = try jsonReport([log])
            #expect(report["outcomes"]?["cancelled"]?.integer == 200)
            #expect(report["unsettled"]?.integer == 0)
            #expect(report["total"]?.integer == 200, "an offer sent again from stdin (-) is the item that failed in ids.txt")
            #expect(report["runs"]?.integer == 2)
            let none = try CancelRun.run(["report", log, "--failed"])
            #expect(none.stdout.isEmpty && none.stderr.contains("0 offers not settled"))
        }

        /// The HTML page, opened in headless Chromium: it renders, logs nothing to the console,
        /// and its totals are the log's.
        @Test(.enabled(if: Chromium.path != nil || ProcessInfo.processInfo.environment["CI"] == "true", "Debian's chromium package (.ci/run installs it)"))
        func theHTMLReportRendersInABrowser() throws {
            let chromium = try #require(Chromium.path, "chromium is not installed")
            // A run the page has something to show for: a rate limit (429s, pauses), faults, a
            // Ctrl-C, a pause, and a resume.
            let market = try MockProcess(["--mixed", "--fault-500", "0.05", "--latency-ms", "5", "--jitter-ms", "30", "--rate-limit", "250/s", "--burst", "50"])
            let ids = try IDFile(count: 3000)
            let log = scratch.file("run.ndjson")
            let first = try CancelRun.run(["--base-url", market.baseURL, "--max-attempts", "2", "--backoff-base", "1", "-c", "32", "--sink", "ndjson:\(log)", ids.path],
                                          signal: SIGINT, signalWhen: { lineCount(log) >= 1200 })
            #expect(first.status == 130)
            Thread.sleep(forTimeInterval: 3)  // a visible gap before the resume
            _ = try CancelRun.run(["--base-url", market.baseURL, "-q", "--resume", log, "--max-attempts", "2", "-c", "32", "--sink", "ndjson:+\(log)", ids.path])
            let page = scratch.file("report.html")
            let made = try CancelRun.run(["report", log, "--html", page])
            #expect(made.status == 0, "\(made.stderr)")

            let screenshot = scratch.file("report.png")
            let browser = try shell("'\(chromium)' --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1100,2700 --enable-logging=stderr --v=0 "
                                    + "--screenshot='\(screenshot)' 'file://\(page)'")
            #expect(browser.status == 0, "\(browser.stderr)")
            let consoleLines = browser.stderr.split(separator: "\n").filter { $0.contains("CONSOLE") }
            #expect(consoleLines.isEmpty, "the page logs nothing: \(consoleLines)")
            let png = try Data(contentsOf: URL(fileURLWithPath: screenshot))
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 20_000, "a screenshot was taken (\(png.count) bytes)")
            if let keep = ProcessInfo.processInfo.environment["OFFER_CANCEL_REPORT_SCREENSHOT"] {
                try? FileManager.default.removeItem(atPath: keep)
                try FileManager.default.copyItem(atPath: screenshot, toPath: keep)
            }

            // The totals in the page the browser built equal the log's last record per item.
            let dom = scratch.file("dom.html")
            let dumped = try shell("'\(chromium)' --headless --no-sandbox --disable-gpu --dump-dom 'file://\(page)' > '\(dom)'")
            #expect(dumped.status == 0)
            let text = try String(contentsOfFile: dom, encoding: .utf8)
            var last: [Int64: String] = [:]
            for line in try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n") {
                let record = try JSONValue.parse(String(line))
                last[record["seq"]!.integer!] = record["outcome"]?.string
            }
            #expect(text.contains("id=\"total\">\(last.count)<"), "total \(last.count)")
            for (outcome, count) in Dictionary(grouping: last.values, by: { $0 }).mapValues(\.count) {
                #expect(text.contains("id=\"outcome-\(outcome)\">\(count)<"), "\(outcome) \(count)")
            }
            #expect(text.contains("<svg"), "the charts are in the page")
        }

        /// A million records stream through in bounded memory (peak RSS measured by /usr/bin/time),
        /// their HTML page included (`Data(string.utf8)` once made that 1 GB).
        @Test func aMillionRecordLogInBoundedMemory() throws {
            // Under a sanitizer RSS is shadow memory and the run ten times slower: there a tenth
            // of the log checks the counting, and the plain build checks the bound.
            let records = Sanitizer.isActive ? 100_000 : 1_000_000
            let rss = scratch.file("rss")
            let out = scratch.file("out")
            let generate = """
                python3 -c '
                import sys
                out = sys.stdout
                for n in range(1, \(records + 1)):
                    outcome = "failed" if n % 50 == 0 else "cancelled"
                    status = 500 if n % 50 == 0 else 200
                    out.write("{\\"seq\\":%d,\\"source\\":\\"ids.txt\\",\\"line\\":%d,\\"offerId\\":\\"00000000-0000-4000-8000-%012d\\",\\"outcome\\":\\"%s\\",\\"httpStatus\\":%d,\\"attempts\\":1,\\"latencyMs\\":%d.5,\\"startedAt\\":\\"2026-12-01T10:%02d:%02d.000Z\\",\\"finishedAt\\":\\"2026-12-01T10:%02d:%02d.120Z\\"}\\n" % (n, n, n, outcome, status, n % 97, n // 20000, n // 400 % 50, n // 20000, n // 400 % 50))
                '
                """
            let page = scratch.file("report.html")
            let run = try shell("\(generate) | /usr/bin/time -f %M -o '\(rss)' offer-cancel report - --format json --html '\(page)' > '\(out)'")
            #expect(run.status == 0, "\(run.stderr)")
            let report = try JSONValue.parse(try String(contentsOfFile: out, encoding: .utf8))
            #expect(report["total"]?.integer == Int64(records))
            #expect(report["outcomes"]?["failed"]?.integer == Int64(records / 50))
            #expect(report["unsettled"]?.integer == Int64(records / 50))
            let kilobytes = try #require(Int(try String(contentsOfFile: rss, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
            if !Sanitizer.isActive {
                #expect(kilobytes <= 64 * 1024, "peak RSS \(kilobytes) KiB for 1,000,000 records and their HTML page")
            }
            // The page stays the size of a small one: per-slot aggregates, at most 1,000 IDs listed.
            let size = try #require(try FileManager.default.attributesOfItem(atPath: page)[.size] as? Int)
            #expect(size < 400_000, "\(size) bytes")
        }

        @Test(arguments: [
            // The path once (it was said twice).
            (["report", "/nonexistent/run.ndjson"], "offer-cancel: error: /nonexistent/run.ndjson: No such file or directory\n"),
            (["report"], "name a record log"),
            (["report", "--format", "xml", "x"], "--format must be text, json or markdown"),
            (["report", "-", "-"], "stdin (-) can be read once"),
        ])
        func misuseIsOneLineAndExit2(arguments: [String], message: String) throws {
            let run = try CancelRun.run(arguments, stdin: Data())
            #expect(run.status == 2)
            #expect(run.stderr.contains(message), "\(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count == 1, "one line: \(run.stderr)")
        }

        @Test func aFileWithoutRecordsIsNotALog() throws {
            let path = try scratch.file("ids.txt", "3f1c2a9e-8d4b-4c1a-9e6f-2b7d5a0c8e11\n")
            let run = try CancelRun.run(["report", path])
            #expect(run.status == 2)
            #expect(run.stderr.contains("no record in \(path) (1 lines that are not records)"), "\(run.stderr)")
        }
    }
}

/// Debian's `chromium`, if installed.
enum Chromium {
    static let path: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
}
