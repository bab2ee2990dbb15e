import Foundation
import JSONStream
import Testing
import TestSupport

extension EndToEnd {
    /// What a new user meets, mistakes included: each test failed on the main before it.
    @Suite(.serialized, .machineShare) struct NewUserEndToEndTests {
        let scratch: Scratch

        init() throws { scratch = try Scratch() }

        /// `--sink ndjson:keep.ndjson` on a log of an earlier run used to empty it without a
        /// word (a 20,055-record log became 5 lines). Now: exit 2, one line naming `+PATH` and
        /// `--overwrite`, the log untouched; `+PATH` adds to it, `--overwrite` replaces it.
        @Test(arguments: ["ndjson", "csv"])
        func aRecordLogIsNeverEmptiedWithoutOverwrite(scheme: String) throws {
            let log = scratch.file("keep.\(scheme)")
            let earlier = try IDFile(count: 20)
            let first = try CancelRun.run(["--dry-run", "-q", "--sink", "\(scheme):\(log)", earlier.path])
            #expect(first.status == 0, "\(first.stderr)")
            let kept = try #require(FileManager.default.contents(atPath: log))
            let five = try IDFile(count: 5)

            let refused = try CancelRun.run(["--dry-run", "-q", "--sink", "\(scheme):\(log)", five.path])
            #expect(refused.status == 2)
            #expect(refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
            #expect(refused.stderr.contains("\(scheme):+\(log)") && refused.stderr.contains("--overwrite"), "\(refused.stderr)")
            #expect(FileManager.default.contents(atPath: log) == kept, "the log is untouched")

            let appended = try CancelRun.run(["--dry-run", "-q", "--sink", "\(scheme):+\(log)", five.path])
            #expect(appended.status == 0, "\(appended.stderr)")
            #expect(lineCount(log) == newlines(in: kept) + 5)

            let replaced = try CancelRun.run(["--dry-run", "-q", "--overwrite", "--sink", "\(scheme):\(log)", five.path])
            #expect(replaced.status == 0, "\(replaced.stderr)")
            #expect(lineCount(log) == (scheme == "csv" ? 6 : 5))
        }

        /// A file that holds no records (a summary, notes) is still a target like any other.
        @Test func aFileWithoutRecordsMayBeReplaced() throws {
            let path = scratch.file("notes.txt")
            try Data("some notes\n".utf8).write(to: URL(fileURLWithPath: path))
            let ids = try IDFile(count: 3)
            let run = try CancelRun.run(["--dry-run", "-q", "--sink", "ndjson:\(path)", ids.path])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(lineCount(path) == 3)
        }

        /// `report --html shard*.ndjson`: the shell makes the first log the page's path. It used
        /// to be replaced by the page (exit 0, a third of the job gone from the report); now
        /// exit 2 before anything is read, every log untouched. So is any file of records.
        @Test func theReportsPageNeverReplacesALog() throws {
            let ids = try IDFile(count: 30)
            let shards = try (1...2).map { shard in
                let log = scratch.file("shard\(shard).ndjson")
                let run = try CancelRun.run(["--dry-run", "-q", "--shard", "\(shard)/2", "--sink", "ndjson:\(log)", ids.path])
                #expect(run.status == 0, "\(run.stderr)")
                return log
            }
            let before = shards.map { FileManager.default.contents(atPath: $0) }
            let run = try CancelRun.run(["report", "--html"] + shards)
            #expect(run.status == 2)
            // The shell's expansion makes shard1 the page and shard2 the only log.
            #expect(run.stderr.contains("--html \(shards[0]) is a record log"), "\(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
            #expect(shards.map { FileManager.default.contents(atPath: $0) } == before)
            // One log after --html: it is taken as the page, and no log is left to read.
            let alone = try CancelRun.run(["report", "--html", shards[0]])
            #expect(alone.status == 2)
            #expect(alone.stderr == "offer-cancel: error: --html \(shards[0]) is a record log: --html names the page to write, as in offer-cancel report \(shards[0]) --html report.html\n", "\(alone.stderr)")
            let onto = try CancelRun.run(["report", shards[0], "--html", shards[0]])
            #expect(onto.status == 2 && onto.stderr.contains("(one of the logs to read)"), "\(onto.stderr)")
            #expect(FileManager.default.contents(atPath: shards[0]) == before[0])
            let page = scratch.file("report.html")
            let made = try CancelRun.run(["report", "--html", page] + shards)
            #expect(made.status == 0, "\(made.stderr)")
            #expect(made.stdout.count > 0 && FileManager.default.fileExists(atPath: page))
        }

        /// A CSV of five UUIDs and no header, with the `--id-column 1` the error suggested, gave
        /// four records: the first row was eaten as a header. Every row is now a record.
        @Test(arguments: [(["--id-column", "1"], true), (["--no-header"], false), (["--no-header", "--id-column", "1"], false)])
        func aHeaderlessCSVLosesNoRow(flags: [String], noted: Bool) throws {
            let ids = (1...5).map { testID($0) }
            let path = scratch.file("noheader.csv")
            try Data(ids.map { "\($0),sale\n" }.joined().utf8).write(to: URL(fileURLWithPath: path))
            let run = try CancelRun.run(["--dry-run", "--sink", "ndjson:-"] + flags + [path])
            #expect(run.status == 0, "\(run.stderr)")
            let records = try run.records()
            #expect(records.compactMap { $0["offerId"]?.string } == ids)
            #expect(records.compactMap { $0["line"]?.integer } == [1, 2, 3, 4, 5])
            #expect(run.stderr.contains("is an offer ID, so the file has no header") == noted, "\(run.stderr)")
        }

        @Test func withoutAnIDColumnTheErrorNamesNoHeader() throws {
            let path = scratch.file("noheader.csv")
            try Data("\(testID(1)),sale\n\(testID(2)),sale\n".utf8).write(to: URL(fileURLWithPath: path))
            let run = try CancelRun.run(["--dry-run", "--sink", "ndjson:-", path])
            #expect(run.status == 2)
            #expect(run.stderr.contains("--no-header --id-column N"), "\(run.stderr)")
            let named = try CancelRun.run(["--dry-run", "--sink", "ndjson:-", "--no-header", "--id-column", "sale", path])
            #expect(named.status == 2 && named.stderr.contains("--no-header takes --id-column as a column number"), "\(named.stderr)")
        }

        /// Naming a sink used to drop the text summary: a silent run, exit 1. It now goes to
        /// stderr unless `-q` or a `summary` sink is named.
        @Test(arguments: [([String](), true), (["-q"], false), (["--sink", "summary"], true)])
        func theSummaryStaysWhenASinkIsNamed(extra: [String], shown: Bool) throws {
            let market = try MockProcess()
            let ids = try IDFile(count: 10)
            let run = try CancelRun.run(["--base-url", market.baseURL, "--progress", "never", "--sink", "ndjson:\(scratch.file("s.ndjson"))"] + extra + [ids.path])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stderr.contains("cancelled 10") == shown, "\(run.stderr)")
            #expect(run.stderr.components(separatedBy: "outcomes").count <= 2, "one summary, not two")
        }

        /// `offer-cancel cancle ids.txt` said "cancle: No such file or directory".
        @Test(arguments: [("cancle", "cancel"), ("lsit", "list"), ("reprot", "report")])
        func aMistypedSubcommandIsNamed(typo: String, meant: String) throws {
            let ids = try IDFile(count: 1)
            let run = try CancelRun.run([typo, ids.path])
            #expect(run.status == 2)
            #expect(run.stderr.contains("did you mean `offer-cancel \(meant)`?"), "\(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
        }

        /// Nothing listening, or a TLS server spoken to over http://: the run used to hang
        /// without a word (each connect retried for 10 s by the HTTP client). Now it ends at
        /// once: exit 3, every item `skipped`, one line naming the host, the port and why.
        @Test(arguments: ["refused", "tls"])
        func anUnreachableServerIsOneLineNotAHang(kind: String) throws {
            let market = kind == "tls" ? try MockProcess(["--tls-self-signed", scratch.file("tls")]) : nil
            let port = try market?.port ?? freePort()
            let log = scratch.file("unreachable.ndjson")
            let ids = try IDFile(count: 5)
            // Killed after 120 s if it hangs (as it did): the test then fails, it does not hang.
            let run = try CancelRun.run(["--base-url", "http://127.0.0.1:\(port)", "-q", "--progress", "never", "--sink", "ndjson:\(log)", ids.path],
                                        signal: SIGKILL, signalWhen: { false })
            #expect(run.status == 3, "\(run.stderr)")
            let lines = run.stderr.split(separator: "\n")
            #expect(lines.count == 1, "\(run.stderr)")
            #expect(run.stderr.contains("127.0.0.1:\(port)"), "\(run.stderr)")
            #expect(run.stderr.contains(kind == "tls" ? "is this an https:// server?" : "Connection refused"), "\(run.stderr)")
            let records = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map { try JSONValue.parse(String($0)) }
            #expect(records.count == 5 && records.allSatisfy { $0["outcome"]?.string == "skipped" })
        }

        /// `list` and `--select` read the API's list through the HTTP client, which retried a
        /// refused connect without a word (`list` against a closed port: no line, no exit, in
        /// 30 s). They now ask the server first, as a cancel does: exit 3, one line naming the
        /// host, the port and why, nothing listed or cancelled.
        @Test(arguments: [["list"], ["--select", "--dry-run"]], ["refused", "tls", "plain"])
        func listingFromAnUnreachableServerIsOneLineNotAHang(command: [String], kind: String) throws {
            let market = kind == "refused" ? nil : try MockProcess(kind == "tls" ? ["--tls-self-signed", scratch.file("tls")] : [])
            let port = try market?.port ?? freePort()
            let url = (kind == "plain" ? "https" : "http") + "://127.0.0.1:\(port)"
            // Killed after 120 s if it hangs (as it did): the test then fails, it does not hang.
            let run = try CancelRun.run(command + ["--base-url", url], signal: SIGKILL, signalWhen: { false })
            #expect(run.status == 3, "\(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
            #expect(run.stderr.contains("127.0.0.1:\(port)"), "\(run.stderr)")
            let why = ["refused": "Connection refused", "tls": "is this an https:// server?", "plain": "is it an http:// server?"]
            #expect(run.stderr.contains(why[kind] ?? "?"), "\(run.stderr)")
            #expect(run.stdout.isEmpty, "\(run.stdout)")
        }

        /// An https:// URL to a plain HTTP server: every TLS handshake fails the same way, and the
        /// run used to retry them for minutes. Now the first handshake, before any cancel, ends
        /// it: exit 3, every item `skipped`, one line that names the host and asks about http://.
        @Test func httpsToAPlainServerIsOneLineNotAHang() throws {
            let market = try MockProcess()
            let log = scratch.file("plain.ndjson")
            let ids = try IDFile(count: 5)
            let run = try CancelRun.run(["--base-url", "https://127.0.0.1:\(market.port)", "-q", "--progress", "never", "--sink", "ndjson:\(log)", ids.path],
                                        signal: SIGKILL, signalWhen: { false })
            #expect(run.status == 3, "\(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
            #expect(run.stderr.contains("cannot set up TLS with 127.0.0.1:\(market.port)") && run.stderr.contains("is it an http:// server?"), "\(run.stderr)")
            // BoringSSL's reason, without its error queue or its source file's path.
            #expect(run.stderr.contains("(TLS handshake failed: WRONG_VERSION_NUMBER)") && !run.stderr.contains(".cc:"), "\(run.stderr)")
            let records = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map { try JSONValue.parse(String($0)) }
            #expect(records.count == 5 && records.allSatisfy { $0["outcome"]?.string == "skipped" })
        }

        /// A socket that accepts and never answers: five IDs used to be unfinished after 150 s
        /// (an open circuit breaker held every retry through its cool-downs, one at a time). Now
        /// each item's retries go on their own backoff, and twenty requests in a row without a
        /// reply stop the run: exit 3, one aborted line naming the URL, a record per item.
        @Test func aServerThatNeverAnswersStopsTheRunWithALine() throws {
            let market = try PythonMarket("silent_socket.py")
            let ids = try IDFile(count: 5)
            let run = try CancelRun.run(["--base-url", market.baseURL, "--timeout", "1", "-q", "--sink", "ndjson:-", ids.path],
                                        environment: ["ARKANE_TOKEN": "t"], signal: SIGKILL, signalWhen: { false })
            #expect(run.status == 3, "\(run.stderr)")
            #expect(run.stderr.contains("aborted: no reply to 20 requests in a row (the last: timed out waiting for the reply): is \(market.baseURL) the API"), "\(run.stderr)")
            let records = try run.records()
            #expect(records.count == 5)
            #expect(records.allSatisfy { $0["outcome"]?.string == "failed" && ($0["attempts"]?.integer ?? 0) <= 5 })
            #expect(records.allSatisfy { ($0["errorMessage"]?.string ?? "").contains("timed out waiting") }, "our own words are never cut by a short token")
        }

        /// Misuse that was accepted silently, or named wrongly: each is one line naming what is
        /// wrong, and exit 2, before anything is read or sent.
        @Test(arguments: [
            (["--timeout", "-1"], "--timeout -1.0: seconds, more than 0 to 86400"),
            (["--timeout", "nan"], "--timeout nan: seconds, more than 0 to 86400"),
            (["--grace", "-2"], "--grace -2.0: seconds, 0 to 86400"),
            (["--base-url", "http://::1:18103"], "an IPv6 address goes in brackets, as in http://[::1]:18103"),
            (["--base-url", "http://127.0.0.1:9?x=1"], "no query or fragment"),
            (["--base-url", "localhost:18103"], "--base-url localhost:18103: no scheme: did you mean http://localhost:18103?"),
            (["--auth-url", "ftp://login.example"], "--auth-url ftp://login.example: only http and https are supported"),
            (["-q", "-v"], "-q and -v ask for opposite things"),
            (["--no-records", "--sink", "ndjson:x.ndjson"], "--no-records keeps no record, yet --sink ndjson:x.ndjson would keep them"),
            (["--mock", "--base-url", "http://127.0.0.1:9"], "--mock runs a market of its own: drop --base-url"),
            (["--confirm-above", "5"], "--confirm-above sets when --select asks: add --select"),
            (["--cancel-method", "PUT"], "--cancel-method PUT: expected auto, GET or POST"),
        ] as [([String], String)])
        func misuseIsOneLineAndExit2(arguments: [String], message: String) throws {
            let ids = try IDFile(count: 2)
            let run = try CancelRun.run(arguments + [ids.path])
            #expect(run.status == 2, "\(run.stderr)")
            #expect(run.stderr.contains(message), "\(run.stderr)")
        }

        func newlines(in data: Data) -> Int {
            data.reduce(0) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
        }
    }
}
