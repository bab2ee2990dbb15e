import Foundation
import JSONStream
import Testing
import TestSupport

extension EndToEnd {
    /// Sinks as a user meets them: flags on the real binary, files on disk.
    @Suite(.serialized, .machineShare) struct SinkEndToEndTests {
        let scratch = NSTemporaryDirectory() + "e2e-sinks-\(UUID().uuidString)"

        init() throws {
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        }

        @Test func aMixedRunsCSVMatchesItsNDJSONAndItsSummary() async throws {
            let market = try MockProcess(["--mixed", "--fault-503", "0.05", "--seed", "5"])
            let ids = try IDFile(count: 400, extraLines: ["not-an-id", "../etc/passwd"])
            let (csv, ndjson, stats) = (scratch + "/r.csv", scratch + "/r.ndjson", scratch + "/stats.json")
            let run = try CancelRun.run(["--base-url", market.baseURL, "--include-offer", "--sink", "csv:\(csv)", "--sink", "ndjson:\(ndjson)",
                                         "--sink", "summary-json:\(stats)", "--backoff-base", "5", ids.path])
            #expect(run.status == 1)
            #expect(run.stdout.isEmpty, "explicit sinks replace the default ndjson:-")
            let script = """
                import csv, json, sys
                rows = list(csv.DictReader(open(sys.argv[1], newline='', encoding='utf-8')))
                lines = [json.loads(l) for l in open(sys.argv[2], encoding='utf-8')]
                text = lambda v: '' if v is None else ('true' if v is True else ('false' if v is False else str(v)))
                assert len(rows) == len(lines) == 402, (len(rows), len(lines))
                for row, line in zip(rows, lines):
                    for key, value in row.items():
                        assert value == text(line[key]), (key, value, line[key])
                stats = json.load(open(sys.argv[3]))
                counts = {}
                for line in lines: counts[line['outcome']] = counts.get(line['outcome'], 0) + 1
                assert stats['total'] == len(lines)
                assert all(stats['outcomes'][k] == counts.get(k, 0) for k in stats['outcomes']), (stats['outcomes'], counts)
                offers = [l['offer'] for l in lines if l['outcome'] == 'cancelled']
                assert offers and all(o['nft']['description'].startswith('"Blockchain Means Business"\\n\\nArkane') for o in offers)
                print('ok')
                """
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", script, csv, ndjson, stats]
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            let result = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(result == "ok\n")
            #expect(process.terminationStatus == 0)

            // And reads back as its twin, by the one reader of record logs: `report` counts the
            // same, and `--resume` passes over the same items and sends the same others again
            // (a dry run that retries two outcomes, to compare them).
            let same = try shell("""
                set -e
                diff <(offer-cancel report --format json \(csv) | jq -S 'del(.inputs)') <(offer-cancel report --format json \(ndjson) | jq -S 'del(.inputs)')
                for log in \(csv) \(ndjson); do
                  offer-cancel --base-url \(market.baseURL) --dry-run --resume $log --retry-outcomes not_found,forbidden --sink ndjson:- \(ids.path) | jq -c '[.seq, .outcome]' > $log.resumed
                done
                diff \(csv).resumed \(ndjson).resumed
                [ "$(grep -c dry_run \(csv).resumed)" -gt 0 ]
                """)
            #expect(same.status == 0, "\(same.stderr)")
        }

        @Test func aDyingExecSinkIsReportedAndTheOthersFinish() throws {
            let ids = try IDFile(count: 3000)
            let ndjson = scratch + "/all.ndjson"
            let run = try CancelRun.run(["--dry-run", "--sink", "exec:head -n 5 > /dev/null", "--sink", "ndjson:\(ndjson)", ids.path], environment: [:])
            #expect(run.status == 1)
            #expect(run.stderr.contains("sink exec:head -n 5 > /dev/null failed"))
            #expect(run.stderr.components(separatedBy: "failed at").count == 2, "reported once")
            let lines = try String(contentsOfFile: ndjson, encoding: .utf8).split(separator: "\n")
            #expect(lines.count == 3000)
        }

        @Test func execSinkFeedsACommand() throws {
            let ids = try IDFile(count: 50)
            let out = scratch + "/piped.txt"
            let run = try CancelRun.run(["--dry-run", "--sink", "exec:jq -r .offerId > \(out)", ids.path], environment: [:])
            #expect(run.status == 0)
            let piped = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").map(String.init)
            #expect(Set(piped) == Set(ids.ids))
        }

        @Test func sinksListsEveryScheme() throws {
            let run = try CancelRun.run(["sinks"], environment: [:])
            #expect(run.status == 0)
            let lines = String(decoding: run.stdout, as: UTF8.self).split(separator: "\n")
            let schemes = lines.filter { !$0.hasPrefix(" ") }.map { $0.prefix { $0 != ":" && $0 != " " } }
            #expect(schemes == ["csv", "exec", "ndjson", "summary", "summary-json"])
            let options = lines.filter { $0.hasPrefix(" ") }.map { $0.trimmingCharacters(in: .whitespaces).prefix { $0 != "=" } }
            #expect(options == ["--sink-option csv.columns", "--sink-option exec.include-offer", "--sink-option ndjson.include-offer"])
        }

        /// A sink option no sink declares is refused before anything is created or read: one
        /// line, exit 2 (it was passed on unread, so a typo went unnoticed).
        @Test func anUndeclaredSinkOptionIsRefused() throws {
            let scratch = try Scratch()
            let ids = try IDFile(count: 3)
            let out = scratch.file("out.ndjson")
            let run = try CancelRun.run(["--dry-run", "--sink", "ndjson:\(out)", "--sink-option", "ndjson.includeoffer=true", ids.path], environment: [:])
            #expect(run.status == 2)
            #expect(run.stderr == "offer-cancel: --sink-option ndjson.includeoffer=true: no sink takes ndjson.includeoffer; known: csv.columns, exec.include-offer, ndjson.include-offer (offer-cancel sinks lists them)\n")
            #expect(!FileManager.default.fileExists(atPath: out), "nothing created")
            let fine = try CancelRun.run(["--dry-run", "--sink", "ndjson:\(out)", "--sink-option", "ndjson.include-offer=true", ids.path], environment: [:])
            #expect(fine.status == 0, "\(fine.stderr)")
        }

        @Test func defaultSinksAreNDJSONOnAPipeAndASummary() throws {
            let ids = try IDFile(count: 3)
            let run = try CancelRun.run(["--dry-run", ids.path], environment: [:])
            #expect(try run.records().count == 3)
            #expect(run.stderr.contains("outcomes   dry_run 3"))
            let quiet = try CancelRun.run(["--dry-run", "-q", ids.path], environment: [:])
            #expect(quiet.stderr.isEmpty)
        }

        @Test func stdinIsTheDefaultInput() throws {
            let run = try CancelRun.run(["--dry-run", "-q"], environment: [:], stdin: Data("ebb1574a-bf3b-43a9-8bf5-ee7b30044f10\nx\n".utf8))
            let records = try run.records()
            #expect(records.map { $0["source"]?.string } == ["-", "-"])
            #expect(run.status == 1)
        }
    }

    /// What a person sees on stderr.
    @Suite(.serialized, .machineShare) struct ConsoleEndToEndTests {
        @Test func progressLineWhenAskedFor() throws {
            let market = try MockProcess()
            let ids = try IDFile(count: 120)
            let run = try CancelRun.run(["--base-url", market.baseURL, "--rate", "100/s", "--progress", "always", "-q", ids.path])
            #expect(run.status == 0)
            #expect(run.stderr.contains("\r\u{1B}[K"), "redrawn in place")
            #expect(run.stderr.contains(" in flight ") && run.stderr.contains(" failed"))
            #expect(run.stderr.contains("/120"), "the total once the input is read")
        }

        @Test func verboseNamesEveryFailedRecord() throws {
            let market = try MockProcess(["--not-found", "1"])
            let ids = try IDFile(count: 3)
            let run = try CancelRun.run(["--base-url", market.baseURL, "-v", ids.path])
            #expect(run.status == 1)
            for id in ids.ids { #expect(run.stderr.contains("\(id) not_found HTTP 404")) }
            #expect(run.stderr.contains("concurrency adaptive up to 64"))
        }

        @Test func helpAndVersion() throws {
            let help = try CancelRun.run(["cancel", "--help"], environment: [:])
            #expect(help.status == 0)
            let text = String(decoding: help.stdout, as: UTF8.self)
            for flag in ["--concurrency", "--rate", "--sink", "--resume", "--max-failures", "--confirm", "--dry-run", "--id-pattern", "--progress"] {
                #expect(text.contains(flag), "\(flag) is documented")
            }
            let version = try CancelRun.run(["--version"], environment: [:])
            #expect(String(decoding: version.stdout, as: UTF8.self) == "0.1.0\n")
        }
    }
}
