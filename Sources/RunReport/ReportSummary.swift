import JSONStream
import OfferCancelKit

/// `report`'s summary of merged logs, as text (the live summary's lines under a headline that
/// says what was read), as the summary-json document, or as Markdown for a ticket.
public enum ReportSummary {
    /// The formats `--format` names.
    public enum Format: String, Sendable, CaseIterable {
        case text, json, markdown
    }

    /// The summary of `report`; `statistics` is `report.statistics` when its caller has it already
    /// (it walks every item).
    public static func render(_ report: LogReport, statistics: RunStatistics? = nil, format: Format, color: Bool = false) -> String {
        let statistics = statistics ?? report.statistics
        let summary = report.summary(of: statistics)
        switch format {
        case .text:
            var lines = [headline(report, statistics: statistics)]
            lines += SummaryText.body(statistics, summary: summary, color: color)
            if report.unsettledCount > 0 {
                lines.append("  unsettled  \(report.unsettledCount) offers failed, were skipped or not confirmed: send them again with report --failed | offer-cancel -")
            }
            return lines.joined(separator: "\n") + "\n"
        case .json:
            var buffer = JSONWriteBuffer()
            buffer.append(SummaryJSON.render(statistics, summary: summary, run: nil, extra: extra(report)))
            buffer.append(0x0A)
            return String(decoding: buffer.bytes, as: UTF8.self)
        case .markdown:
            return markdown(report, statistics: statistics)
        }
    }

    static func headline(_ report: LogReport, statistics: RunStatistics) -> String {
        let seconds = report.activeSeconds
        var line = "offer-cancel report: \(statistics.total) offers from \(report.recordsRead) records"
        line += ", \(plural(report.runs, "run")), \(plural(report.tornLines, "torn line"))"
        line += "; \(SummaryText.format(seconds, digits: 2)) s active"
        if seconds > 0, statistics.requests > 0 { line += " (\(SummaryText.format(Double(statistics.requests) / seconds, digits: 1)) requests/s)" }
        return line
    }

    /// What the summary-json document gains from `report`: what was read.
    static func extra(_ report: LogReport) -> [(String, JSONValue)] {
        [
            ("recordsRead", .integer(Int64(report.recordsRead))),
            ("runs", .integer(Int64(report.runs))),
            ("tornLines", .integer(Int64(report.tornLines))),
            ("unsettled", .integer(Int64(report.unsettledCount))),
            ("inputs", .array(report.inputs.map(JSONValue.string))),
            ("sources", .array(report.sources.map(JSONValue.string))),
        ]
    }

    static func markdown(_ report: LogReport, statistics: RunStatistics) -> String {
        var lines = ["### offer-cancel report", "", headline(report, statistics: statistics).replacingPrefix("offer-cancel report: "), ""]
        lines += ["| outcome | offers |", "|---|---:|"]
        lines += Outcome.allCases.compactMap { outcome in
            statistics.byOutcome[outcome].map { "| \(outcome.rawValue) | \($0) |" }
        }
        lines.append("| **total** | **\(statistics.total)** |")
        if !statistics.byHTTPStatus.isEmpty {
            lines += ["", "| HTTP status | offers |", "|---|---:|"]
            lines += statistics.byHTTPStatus.sorted { $0.key < $1.key }.map { "| \($0.key) | \($0.value) |" }
        }
        let codes = report.errorCodes(in: statistics)
        if !codes.isEmpty {
            lines += ["", "| error code | offers | message |", "|---|---:|---|"]
            lines += codes.prefix(20).map { "| `\(cell($0.code))` | \($0.count) | \(cell($0.message ?? "")) |" }
        }
        lines += ["", "Requests: \(statistics.requests) sent, \(statistics.retries) retries."]
        if let latency = statistics.latencyMs {
            lines += ["", "| latency ms | min | mean | p50 | p90 | p99 | max |", "|---|---:|---:|---:|---:|---:|---:|"]
            let values = [latency.min, latency.mean, latency.p50, latency.p90, latency.p99, latency.max]
            lines.append("| | " + values.map { SummaryText.format($0, digits: 1) }.joined(separator: " | ") + " |")
        }
        if statistics.confirmed + statistics.unconfirmed > 0 {
            lines += ["", "Confirmed CLOSED: \(statistics.confirmed); not seen CLOSED: \(statistics.unconfirmed)."]
        }
        if report.unsettledCount > 0 {
            lines += ["", "\(report.unsettledCount) offers are not settled: `offer-cancel report LOG --failed | offer-cancel -` sends them again."]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Text safe inside a Markdown table cell.
    static func cell(_ text: String) -> String {
        String(text.prefix(200)).replacing("|", with: "\\|").replacing("\n", with: " ").replacing("`", with: "'")
    }

    static func plural(_ count: Int, _ noun: String) -> String {
        "\(count) \(noun)\(count == 1 ? "" : "s")"
    }
}

extension String {
    fileprivate func replacingPrefix(_ prefix: String) -> String {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : self
    }
}
