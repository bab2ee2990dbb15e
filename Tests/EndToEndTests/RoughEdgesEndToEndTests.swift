import Foundation
import JSONStream
import Testing
import TestSupport

extension EndToEnd {
    /// Things a new user runs into first: the demo with real credentials exported, a plain
    /// terminal, a zero that reads like a negative number.
    @Suite(.serialized, .machineShare) struct RoughEdgesEndToEndTests {
        let scratch: Scratch

        init() throws { scratch = try Scratch() }

        /// `--mock` uses the simulated market's own token: an `ARKANE_TOKEN` exported for the
        /// real API used to be sent to it instead, and every offer came back 401 (exit 3).
        @Test(arguments: [["ARKANE_TOKEN": "a-token-for-the-real-api"], ["ARKANE_CLIENT_ID": "studio", "ARKANE_CLIENT_SECRET": "s3cret"]])
        func theDemoIgnoresCredentialsMeantForTheRealAPI(environment: [String: String]) throws {
            let ids = try IDFile(count: 40)
            let run = try CancelRun.run(["--mock", "-v", ids.path], environment: environment)
            let records = try run.records()
            #expect(run.status != 3, "\(run.stderr)")
            #expect(records.count == 40)
            #expect(records.allSatisfy { $0["httpStatus"]?.integer != 401 }, "no offer was refused for its token")
            #expect((outcomeCounts(records)["cancelled"] ?? 0) > 0)
            #expect(run.stderr.contains("--mock ignores ARKANE_*"), "-v says so")
            #expect(!run.stderr.contains("a-token-for-the-real-api") && !run.stderr.contains("s3cret"))
        }

        /// The text summary paints outcomes on a terminal, in `cancel` and `report` alike, under
        /// one rule (no-color.org): not when `NO_COLOR` is set and not empty, nor when the
        /// terminal says it is dumb. `report` once took an empty `NO_COLOR` for a set one.
        @Test(arguments: [
            ("cancel", "TERM=xterm", true), ("cancel", "TERM=dumb", false), ("cancel", "TERM=xterm NO_COLOR=1", false),
            ("cancel", "TERM=xterm NO_COLOR=", true),
            ("report", "TERM=xterm", true), ("report", "TERM=dumb", false), ("report", "TERM=xterm NO_COLOR=1", false),
            ("report", "TERM=xterm NO_COLOR=", true),
        ])
        func colourFollowsOneRule(subcommand: String, environment: String, coloured: Bool) throws {
            let market = try MockProcess()
            let ids = try IDFile(count: 10)
            let name = subcommand + environment.filter { $0.isLetter || $0.isNumber }
            let screen = scratch.file("screen-\(name)"), log = scratch.file("r-\(name).ndjson")
            let binary = try Binaries.path("offer-cancel")
            let run = "'\(binary)' --base-url \(market.baseURL) --progress never --sink ndjson:'\(log)' --sink summary '\(ids.path)'"
            if subcommand == "report" { _ = try shell(run.replacingOccurrences(of: "--sink summary", with: "-q") + " > /dev/null") }
            // `script` gives the command a pseudo-terminal and copies what it shows into `screen`.
            let command = subcommand == "report" ? "'\(binary)' report '\(log)'" : run
            _ = try shell("env -u NO_COLOR \(environment) script -qec \"\(command)\" '\(screen)' > /dev/null")
            let shown = try String(contentsOfFile: screen, encoding: .utf8)
            #expect(shown.contains("cancelled 10"), "the summary reached the terminal: \(shown)")
            #expect(shown.contains("\u{1B}[32m") == coloured, "\(subcommand), \(environment): \(shown.debugDescription)")
        }

        /// While a file is read, the progress line shows the total it estimates from the bytes
        /// read so far, and an ETA; offers that do not exist are "not found", not "failed" (the
        /// line used to read "1234/1280+" with no ETA, and count not_found as failed).
        @Test func theProgressLineEstimatesAFilesTotalAndNamesNotFound() throws {
            let market = try MockProcess(["--not-found", "0.3", "--seed", "3"])
            let ids = try IDFile(count: 3_000)
            let run = try CancelRun.run(["--base-url", market.baseURL, "--rate", "600/s", "--progress", "always",
                                         "--sink", "ndjson:\(scratch.file("p.ndjson"))", ids.path])
            #expect(run.status == 1, "\(run.stderr)")
            let frames = run.stderr.split(whereSeparator: { $0 == "\r" || $0 == "\n" }).map { $0.replacingOccurrences(of: "\u{1B}[K", with: "") }
                .filter { $0.contains(" in flight") }
            // Every ID line is as long as the others: the estimate is exact.
            let early = frames.filter { $0.contains("/~3000 ") }
            #expect(!early.isEmpty, "a frame drawn while the file was read ahead estimates its total: \(frames.prefix(3))")
            #expect(early.contains { $0.contains("ETA ") }, "with an ETA: \(early.prefix(3))")
            #expect(frames.contains { $0.contains(" not found") }, "\(frames.suffix(2))")
            #expect(frames.allSatisfy { $0.contains("  0 failed") }, "no offer failed: \(frames.filter { !$0.contains("  0 failed") }.prefix(2))")
        }

        /// `--confirm-timeout` holds to within a poll interval when polls queue for their slots:
        /// with one slot, 20 ms a poll and offers that stay CLOSING, an offer past its deadline
        /// stops waiting for a slot. Every offer used to queue for its one poll (400 polls, the
        /// last unconfirmed record 8 s after its 0.2 s deadline).
        @Test func theConfirmTimeoutHoldsWhenPollsQueue() async throws {
            let market = try MockProcess(["--close-delay-ms", "60000", "--latency-ms", "20"])
            let ids = try IDFile(count: 400)
            let run = try CancelRun.run(["--base-url", market.baseURL, "--confirm", "--confirm-timeout", "0.2", "--confirm-concurrency", "1",
                                         "-q", "--sink", "ndjson:-", ids.path])
            let records = try run.records()
            #expect(records.count == 400)
            #expect(records.allSatisfy { $0["outcome"]?.string == "cancelled" && $0["confirmed"]?.bool == false })
            let polls = try await market.stats()["requests"]?["offer"]?.integer ?? 0
            #expect(polls < 200, "\(polls) polls for 400 offers: those past their deadline still queued for a slot")
            #expect(run.status == 1)
        }

        @Test func aConfirmTimeoutOfZeroSaysWhatIsWrong() throws {
            let run = try CancelRun.run(["--mock", "--confirm", "--confirm-timeout", "0", "-"], stdin: Data())
            #expect(run.status == 2)
            #expect(run.stderr.contains("--confirm-timeout 0.0: seconds, more than 0 to 86400"), "\(run.stderr)")
            #expect(!run.stderr.contains("negative"))
        }
    }
}

extension EndToEnd.RoughEdgesEndToEndTests {
    /// The pipeline `--help` shows for a CSV export, run as printed: every row is one offer,
    /// and the header is not among them (it used to become an `invalid_id` record).
    @Test func theHelpsCSVExampleReadsOnlyTheRows() async throws {
        let market = try MockProcess()
        let help = try shell("offer-cancel --help 1>&2").stderr
        let example = try #require(help.split(separator: "\n").first { $0.contains("export.csv") }).trimmingCharacters(in: .whitespaces)
        let rows = (1...5).map { "sale,READY,\(testID($0)),10.5" }
        try scratch.file("export.csv", (["type,status,id,price"] + rows).joined(separator: "\n") + "\n")
        let command = example.replacingOccurrences(of: "offer-cancel ", with: "offer-cancel --base-url \(market.baseURL) -q ")
        let run = try shell("cd '\(scratch.path)' && \(command)")
        #expect(run.status == 0, "\(command): \(run.stderr)")
        let log = try String(contentsOfFile: scratch.file("log.ndjson"), encoding: .utf8)
        let outcomes = log.split(separator: "\n").compactMap { try? JSONValue.parse(String($0))["outcome"]?.string }
        #expect(outcomes == Array(repeating: "cancelled", count: 5), "\(command) → \(outcomes)")
    }
}

extension EndToEnd.RoughEdgesEndToEndTests {
    /// A CSV export piped in, or saved as `.txt`, is CSV by its header row (it used to be
    /// read as lines: the header and every row became `invalid_id` records).
    @Test(arguments: ["-", "export.txt"])
    func aCSVIsKnownByItsHeader(input: String) throws {
        let csv = "type,status,offerId,price\n" + (1...3).map { "sale,READY,\(testID($0)),10.5" }.joined(separator: "\n") + "\n"
        let path = input == "-" ? "-" : try scratch.file(input, csv)
        let run = try CancelRun.run(["--dry-run", "-q", path], environment: [:], stdin: input == "-" ? Data(csv.utf8) : nil)
        let records = try run.records()
        #expect(run.status == 0, "\(run.stderr)")
        #expect(records.compactMap { $0["offerId"]?.string } == (1...3).map(testID))
        #expect(records.compactMap { $0["line"]?.integer } == [2, 3, 4], "line numbers count the header")
    }

    /// `csv:+PATH` continues a file only under its own header; rows under another header
    /// would be read as the wrong columns. Refused before anything is sent, the file untouched.
    @Test(arguments: [("offerId,outcome\r\n", ["--csv-columns", "offerId,outcome,httpStatus"], "append with --csv-columns offerId,outcome"),
                      ("hello\n", [], "its first line is not a header this sink writes")])
    func appendingUnderAnotherHeaderIsRefused(existing: String, columns: [String], hint: String) async throws {
        let market = try MockProcess()
        let ids = try IDFile(count: 5)
        let csv = try scratch.file("out.csv", existing + "x,cancelled\r\n")
        let run = try CancelRun.run(["--base-url", market.baseURL, "-q", "--sink", "csv:+\(csv)"] + columns + [ids.path])
        #expect(run.status == 2)
        #expect(run.stderr.contains("csv:+\(csv): the file's columns are not this run's; \(hint)"), "\(run.stderr)")
        #expect(try String(contentsOfFile: csv, encoding: .utf8) == existing + "x,cancelled\r\n", "the file is untouched")
        #expect((try await market.stats()["requests"]?["cancel"]?.integer ?? 0) == 0, "nothing was sent")
    }

    @Test func appendingUnderTheSameHeaderAddsRowsOnly() throws {
        let ids = try IDFile(count: 2)
        let csv = try scratch.file("same.csv", "offerId,outcome\r\nx,cancelled\r\n")
        let run = try CancelRun.run(["--dry-run", "-q", "--sink", "csv:+\(csv)", "--csv-columns", "offerId,outcome", ids.path], environment: [:])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\r\n")
        #expect(lines.count == 4 && lines.filter { $0 == "offerId,outcome" }.count == 1, "\(lines)")
    }

    /// Lines said while the progress line is drawn (`-v` failures, the summary) go above it,
    /// each on a line of its own; the progress line is gone at the end. They used to be
    /// appended to the progress text.
    @Test func theProgressLineAndOtherLinesDoNotOverwriteEachOther() throws {
        let market = try MockProcess(["--not-found", "0.3"])
        let ids = try IDFile(count: 150)
        let run = try CancelRun.run(["--base-url", market.baseURL, "--rate", "100/s", "--progress", "always", "-v",
                                     "--sink", "ndjson:\(scratch.file("p.ndjson"))", "--sink", "summary", ids.path])
        #expect(run.status == 1)
        #expect(run.stderr.contains(" in flight "), "the progress line was drawn")
        // What a terminal shows: on each line, what follows the last carriage return.
        let shown = run.stderr.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            String(line.split(separator: "\r", omittingEmptySubsequences: false).last ?? "").replacingOccurrences(of: "\u{1B}[K", with: "")
        }
        let said = shown.filter { $0.contains("offer-cancel:") }
        #expect(said.count > 10)
        #expect(said.allSatisfy { $0.hasPrefix("offer-cancel:") }, "\(said.filter { !$0.hasPrefix("offer-cancel:") })")
        #expect(shown.contains { $0.hasPrefix("offer-cancel: 150 records") }, "the summary's headline starts a line")
        #expect(!shown.contains { $0.contains(" in flight ") }, "the progress line is cleared at the end")
    }
}
