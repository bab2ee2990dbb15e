import Foundation
import JSONStream
import Testing
import TestSupport

extension EndToEnd {
    /// Things a new user runs into first: the demo with real credentials exported, a plain
    /// terminal, a zero that reads like a negative number.
    @Suite struct RoughEdgesEndToEndTests {
        let scratch: Scratch

        init() throws { scratch = try Scratch() }

        /// `--mock` uses the simulated market's own token: an `ARKANE_TOKEN` exported for the
        /// real API used to be sent to it instead, and every offer came back 401 (exit 3).
        @Test(arguments: [["ARKANE_TOKEN": "a-token-for-the-real-api"], ["ARKANE_CLIENT_ID": "studio", "ARKANE_CLIENT_SECRET": "s3cret"]])
        func theDemoIgnoresCredentialsMeantForTheRealAPI(environment: [String: String]) throws {
            let ids = try IDFile(count: 40)
            let run = try CancelRun.run(["--mock", "-q", "-v", ids.path], environment: environment)
            let records = try run.records()
            #expect(run.status != 3, "\(run.stderr)")
            #expect(records.count == 40)
            #expect(records.allSatisfy { $0["httpStatus"]?.integer != 401 }, "no offer was refused for its token")
            #expect((outcomeCounts(records)["cancelled"] ?? 0) > 0)
            #expect(run.stderr.contains("--mock ignores ARKANE_*"), "-v says so")
            #expect(!run.stderr.contains("a-token-for-the-real-api") && !run.stderr.contains("s3cret"))
        }

        /// The text summary paints outcomes on a terminal, but not on one that says it is dumb.
        @Test(arguments: [("xterm", true), ("dumb", false)])
        func aDumbTerminalGetsNoColour(term: String, coloured: Bool) throws {
            let market = try MockProcess()
            let ids = try IDFile(count: 10)
            let screen = scratch.file("screen-\(term)")
            let binary = try Binaries.path("offer-cancel")
            // `script` gives the command a pseudo-terminal and copies what it shows into `screen`.
            let command = "'\(binary)' --base-url \(market.baseURL) --progress never --sink ndjson:'\(scratch.file("r-\(term).ndjson"))' --sink summary '\(ids.path)'"
            _ = try shell("env -u NO_COLOR TERM=\(term) script -qec \"\(command)\" '\(screen)' > /dev/null")
            let shown = try String(contentsOfFile: screen, encoding: .utf8)
            #expect(shown.contains("cancelled 10"), "the summary reached the terminal: \(shown)")
            #expect(shown.contains("\u{1B}[32m") == coloured, "TERM=\(term): \(shown.debugDescription)")
        }

        @Test func aConfirmTimeoutOfZeroSaysWhatIsWrong() throws {
            let run = try CancelRun.run(["--mock", "--confirm", "--confirm-timeout", "0", "-"], stdin: Data())
            #expect(run.status == 2)
            #expect(run.stderr.contains("--confirm-timeout must be more than 0 seconds"), "\(run.stderr)")
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
