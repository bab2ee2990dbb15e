import ArgumentParser
import Foundation
import OfferCancelKit
import RunReport

/// `offer-cancel report`: what record logs say, merged across resumed runs and shards.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Summarise record logs (NDJSON or CSV): as text, JSON or Markdown, an HTML page with plots, or the offers to send again.",
        discussion: """
            Reads the logs one record at a time and merges the runs of a job (resumed runs, \
            shards): each input item (its source and seq, or its offer ID) counts once, by its \
            last record — a `skipped` record never replaces an earlier final answer. Requests, \
            latency and the charts count every record: those requests were made. Lines that are \
            not records (cut short by a crash) are counted as torn and passed over.

            Examples:
              offer-cancel report run.ndjson
              offer-cancel report shard-*.ndjson --format markdown >> ticket.md
              offer-cancel report run.ndjson --html report.html
              offer-cancel report run.ndjson --failed | offer-cancel --sink ndjson:+run.ndjson -
            """
    )

    @Argument(help: ArgumentHelp("Record logs written by --sink ndjson:… or csv:…; - reads stdin.", valueName: "log"))
    var logs: [String] = []

    @Option(help: "text, json (the summary-json document) or markdown.")
    var format = "text"

    @Option(help: ArgumentHelp("Also write a self-contained HTML report with plots to this file.", valueName: "path"))
    var html: String?

    @Flag(help: "Print only the offer IDs not settled (failed, skipped, not confirmed), one per line, to send again.")
    var failed = false

    func validate() throws {
        // The page first: `report --html run.ndjson` names no log because --html took it.
        if let html { try Self.checkPage(html, against: logs) }
        if logs.isEmpty { throw ValidationError("name a record log (or - for stdin): offer-cancel report run.ndjson") }
        if ReportSummary.Format(rawValue: format) == nil { throw ValidationError("--format must be text, json or markdown, not '\(format)'") }
        if logs.filter({ $0 == "-" }).count > 1 { throw ValidationError("stdin (-) can be read once") }
    }

    /// The page never lands on a log: not on one of the inputs (`--html shard*.ndjson` made the
    /// shell pass the first log as the page's path), nor on any file that holds records.
    static func checkPage(_ html: String, against logs: [String]) throws {
        var page = stat()
        guard stat(html, &page) == 0 else { return }
        let isInput = logs.contains { log in
            var input = stat()
            return log != "-" && stat(log, &input) == 0 && input.st_dev == page.st_dev && input.st_ino == page.st_ino
        }
        guard isInput || SinkOutput.holdsRecords(path: html) else { return }
        if logs.isEmpty {
            throw ValidationError("--html \(html) is a record log: --html names the page to write, as in offer-cancel report \(html) --html report.html")
        }
        throw ValidationError("--html \(html) is a record log\(isInput ? " (one of the logs to read)" : ""): the page would replace it; name the page's own file, e.g. --html report.html")
    }

    func run() throws {
        let console = Console()
        var report = LogReport()
        for log in logs {
            do { try report.read(path: log) } catch {
                console.error("\(error)")
                throw ExitCode(2)
            }
        }
        guard report.recordsRead > 0 else {
            console.error("no record in \(logs.joined(separator: ", ")) (\(report.tornLines) lines that are not records): report reads the record logs of --sink ndjson:… and csv:…")
            throw ExitCode(2)
        }
        // Counted once (a walk over every item), for the page and the summary both.
        let statistics = html != nil || !failed ? report.statistics : nil
        if let html {
            do {
                try Data(Array(HTMLReport.render(report, statistics: statistics, logs: logs).utf8)).write(to: URL(fileURLWithPath: html), options: .atomic)
            } catch {
                console.error("cannot write \(html): \(error.localizedDescription)")
                throw ExitCode(2)
            }
        }
        let output: String
        if failed {
            output = report.unsettledOfferIDs.map { $0 + "\n" }.joined()
            console.say("offer-cancel report: \(report.unsettledCount) offers not settled")
        } else {
            let color = console.colourOnStdout
            output = ReportSummary.render(report, statistics: statistics, format: ReportSummary.Format(rawValue: format)!, color: color)
        }
        do { try StandardOutput.write(Array(output.utf8)) } catch {
            console.error("writing the report to stdout: \(error)")
            throw ExitCode(1)
        }
    }
}
