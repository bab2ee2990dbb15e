#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import OfferCancelKit

/// `report --html`: one self-contained page (inline CSS and SVG, no script, nothing fetched)
/// that opens from disk and prints. Charts aggregate per time slot (``TimeSeries``), so a
/// million records draw as fast as a thousand.
public enum HTMLReport {
    /// The page for `report`; `logs` are the paths as given, for the retry command;
    /// `statistics` is `report.statistics` when its caller has it already (it walks every item).
    public static func render(_ report: LogReport, statistics: RunStatistics? = nil, logs: [String]) -> String {
        let statistics = statistics ?? report.statistics
        let timeline = report.series.timeline
        var body = header(report, statistics: statistics)
        body += outcomes(statistics)
        if !timeline.isEmpty {
            body += throughputChart(report, timeline: timeline)
            body += latencyChart(report, timeline: timeline)
            body += distributionChart(report.series.latency)
        }
        body += errorTable(report, statistics: statistics)
        body += slowestTable(report)
        body += unsettled(report, logs: logs)
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>offer-cancel report</title>
            <style>\(style)</style></head>
            <body>\(body)
            <footer>Made by offer-cancel \(HTML.escape(OfferCancelVersion.current)) report. Times are UTC.</footer>
            </body></html>

            """
    }

    static func header(_ report: LogReport, statistics: RunStatistics) -> String {
        let spans = report.activeSpans
        var rows = [("read", "\(report.recordsRead) records from \(report.inputs.map(HTML.escape).joined(separator: ", "))"),
                    ("runs", "\(report.runs) (\(report.tornLines) torn lines)"),
                    ("active", "\(SummaryText.format(report.activeSeconds, digits: 2)) s")]
        if let first = spans.first, let last = spans.last {
            rows.append(("from", "\(Timestamp(nanoseconds: first.start).rfc3339) to \(Timestamp(nanoseconds: last.end).rfc3339)"))
        }
        rows.append(("requests", "\(statistics.requests) sent, \(statistics.retries) retries"
            + (report.activeSeconds > 0 ? ", \(SummaryText.format(Double(statistics.requests) / report.activeSeconds, digits: 1)) per second active" : "")))
        if let latency = statistics.latencyMs { rows.append(("latency ms", SummaryText.percentiles(latency))) }
        if statistics.confirmed + statistics.unconfirmed > 0 {
            rows.append(("confirmed", "\(statistics.confirmed) seen CLOSED, \(statistics.unconfirmed) not in time"))
        }
        return "<h1>offer-cancel report</h1><table class=\"facts\">"
            + rows.map { "<tr><th>\($0.0)</th><td>\($0.1)</td></tr>" }.joined() + "</table>"
    }

    static func outcomes(_ statistics: RunStatistics) -> String {
        var cards = "<div class=\"card total\"><b id=\"total\">\(statistics.total)</b><span>offers</span></div>"
        for outcome in Outcome.allCases {
            guard let count = statistics.byOutcome[outcome], count > 0 else { continue }
            cards += "<div class=\"card \(outcome.isOK ? "ok" : "bad")\"><b id=\"outcome-\(outcome.rawValue)\">\(count)</b><span>\(outcome.rawValue)</span></div>"
        }
        return "<h2>Outcomes</h2><div class=\"cards\">\(cards)</div>"
    }

    static func throughputChart(_ report: LogReport, timeline: [(start: Int64, slot: TimeSeries.Slot)]) -> String {
        let width = Double(report.series.width)
        let xs = timeline.map { Double($0.start) + width / 2 }
        let perSecond = { (value: Int) in Double(value) / width }
        let ok = timeline.map { perSecond($0.slot.ok) }
        let failed = timeline.map { perSecond($0.slot.failed) }
        let stacked = zip(ok, failed).map { $0 + $1 }
        let requests = timeline.map { perSecond($0.slot.requests) }
        var chart = SVGChart(
            title: "Requests and outcomes per second" + (width > 1 ? " (\(Int(width)) s slots)" : ""),
            xRange: Double(timeline.first!.start)...Double(timeline.last!.start) + width,
            yMax: niceCeiling(max(stacked.max() ?? 0, requests.max() ?? 0)), yLabel: "per s", xLabel: clock)
        chart.series = [
            .init(name: "ok", color: "#2e9e5b", style: .area, points: Array(zip(xs, ok))),
            .init(name: "not ok", color: "#d64545", style: .area, points: Array(zip(xs, failed)), base: ok),
            .init(name: "requests (with retries)", color: "#444", style: .line, points: Array(zip(xs, requests))),
            .init(name: "retries", color: "#7b4fd6", style: .dashed, points: timeline.map { (Double($0.start) + width / 2, perSecond($0.slot.retries)) }),
            .init(name: "ended 429/503", color: "#f08c00", style: .line, points: timeline.map { (Double($0.start) + width / 2, perSecond($0.slot.throttled)) }),
        ]
        chart.shaded = gaps(report)
        chart.shadedCaption = "between runs"
        let waits = timeline.map { (Double($0.start) + width / 2, $0.slot.records > 0 ? $0.slot.waitMs / Double($0.slot.records) : 0) }
        var waitChart = SVGChart(title: "Flow control: mean wait per record (pauses after 429s, backoff)", xRange: chart.xRange,
                                 yMax: niceCeiling(waits.map(\.1).max() ?? 0), yLabel: "ms", xLabel: clock)
        waitChart.series = [.init(name: "mean wait ms", color: "#f08c00", style: .bars, points: waits)]
        waitChart.shaded = chart.shaded
        waitChart.shadedCaption = chart.shadedCaption
        return "<h2>Over time</h2>" + chart.render() + waitChart.render()
    }

    static func latencyChart(_ report: LogReport, timeline: [(start: Int64, slot: TimeSeries.Slot)]) -> String {
        let width = Double(report.series.width)
        func line(_ percentile: Double) -> [(x: Double, y: Double)] {
            timeline.compactMap { entry in entry.slot.latency.percentile(percentile).map { (Double(entry.start) + width / 2, $0) } }
        }
        let p99 = line(99)
        var chart = SVGChart(title: "Latency per " + (width > 1 ? "\(Int(width)) s slot" : "second"),
                             xRange: Double(timeline.first!.start)...Double(timeline.last!.start) + width,
                             yMax: niceCeiling(p99.map(\.y).max() ?? 0), yLabel: "ms", xLabel: clock)
        chart.series = [
            .init(name: "p50", color: "#2563eb", style: .line, points: line(50), breakBeyond: width * 1.5),
            .init(name: "p90", color: "#f08c00", style: .line, points: line(90), breakBeyond: width * 1.5),
            .init(name: "p99", color: "#d64545", style: .line, points: p99, breakBeyond: width * 1.5),
        ]
        chart.shaded = gaps(report)
        chart.shadedCaption = "between runs"
        return chart.render()
    }

    static func distributionChart(_ latency: LatencyBins) -> String {
        let bins = latency.bins
        guard let first = bins.first, let last = bins.last else { return "" }
        let index = { (edge: Double) in log2(edge / 0.1) * 4 }
        var chart = SVGChart(title: "Latency distribution (requests per bin, logarithmic bins)",
                             xRange: index(first.upperEdgeMs) - 1...index(last.upperEdgeMs) + 1,
                             yMax: niceCeiling(Double(bins.map(\.count).max() ?? 0)), yLabel: "requests",
                             xLabel: { SVGChart.short(0.1 * exp2($0 / 4)) + " ms" })
        chart.series = [.init(name: "requests", color: "#2563eb", style: .bars, points: bins.map { (index($0.upperEdgeMs) - 0.5, Double($0.count)) })]
        return chart.render()
    }

    static func errorTable(_ report: LogReport, statistics: RunStatistics) -> String {
        let codes = report.errorCodes(in: statistics)
        guard !codes.isEmpty else { return "<h2>Errors</h2><p>No item ended with an error code.</p>" }
        let rows = codes.prefix(100).map { detail in
            "<tr><td><code>\(HTML.escape(detail.code))</code></td><td class=\"n\">\(detail.count)</td><td>\(HTML.escape(detail.message ?? ""))</td>"
                + "<td>\(detail.exampleOfferIDs.map { "<code>\(HTML.escape($0))</code>" }.joined(separator: "<br>"))</td></tr>"
        }
        return "<h2>Errors</h2><table><tr><th>code</th><th>offers</th><th>first message</th><th>for example</th></tr>\(rows.joined())</table>"
    }

    static func slowestTable(_ report: LogReport) -> String {
        guard !report.slowest.isEmpty else { return "" }
        let rows = report.slowest.map { record in
            "<tr><td><code>\(HTML.escape(record.offerId))</code></td><td class=\"n\">\(SummaryText.format(record.latencyMs ?? 0, digits: 1))</td>"
                + "<td>\(record.outcome.rawValue)</td><td class=\"n\">\(record.attempts)</td><td>\(record.finishedAt.map(\.rfc3339) ?? "")</td></tr>"
        }
        return "<h2>Slowest offers</h2><table><tr><th>offer</th><th>latency ms</th><th>outcome</th><th>attempts</th><th>finished</th></tr>\(rows.joined())</table>"
    }

    /// How many unsettled IDs the page lists; `--failed` gives them all.
    static let unsettledListed = 1000

    static func unsettled(_ report: LogReport, logs: [String]) -> String {
        let count = report.unsettledCount
        guard count > 0 else { return "<h2>Not settled</h2><p id=\"unsettled\">0 offers: every offer got a final answer.</p>" }
        let quoted = logs.map(shellQuoted).joined(separator: " ")
        let command = "offer-cancel report \(quoted) --failed | offer-cancel --sink ndjson:+\(shellQuoted(logs.first ?? "run.ndjson")) -"
        let ids = report.unsettledOfferIDs.prefix(unsettledListed).map(HTML.escape).joined(separator: "\n")
        let more = count > unsettledListed ? "<p>…and \(count - unsettledListed) more: <code>--failed</code> lists them all.</p>" : ""
        return "<h2>Not settled</h2><p id=\"unsettled\">\(count) offers failed, were skipped or were not confirmed. To send them again:</p>"
            + "<pre class=\"command\">\(HTML.escape(command))</pre><details><summary>Offer IDs</summary><pre>\(ids)</pre>\(more)</details>"
    }

    /// Spans with no run between the first and last record: gaps before a resume.
    static func gaps(_ report: LogReport) -> [(from: Double, to: Double)] {
        let spans = report.activeSpans
        return zip(spans, spans.dropFirst()).compactMap { earlier, later in
            let from = Double(earlier.end) / 1e9, to = Double(later.start) / 1e9
            return to - from >= 1 ? (from, to) : nil
        }
    }

    static func clock(_ seconds: Double) -> String {
        let text = Timestamp(nanoseconds: Int64(seconds * 1e9)).rfc3339
        return String(text.dropFirst(11).prefix(8))
    }

    /// A round number at least `value` (1, 2, 5 × a power of ten).
    static func niceCeiling(_ value: Double) -> Double {
        guard value > 0, value.isFinite else { return 1 }
        var power = 1.0
        while power * 10 <= value { power *= 10 }
        while power > value { power /= 10 }
        for step in [1.0, 2, 5, 10] where step * power >= value { return step * power }
        return 10 * power
    }

    static func shellQuoted(_ text: String) -> String {
        text.allSatisfy { $0.isLetter || $0.isNumber || "-_./+:=@".contains($0) } ? text : "'" + text.replacing("'", with: "'\\''") + "'"
    }

    static let style = """
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2328;max-width:1000px;margin:24px auto;padding:0 16px}
        h1{font-size:22px;margin:0 0 8px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
        table{border-collapse:collapse;width:100%;margin:4px 0}th,td{text-align:left;padding:3px 8px;border-bottom:1px solid #eaeef2;vertical-align:top}
        td.n{text-align:right;font-variant-numeric:tabular-nums}table.facts th{width:110px;color:#57606a;font-weight:normal}
        code,pre{font:12px ui-monospace,SFMono-Regular,Menlo,monospace}pre{background:#f6f8fa;padding:8px;overflow:auto;max-height:320px}
        pre.command{white-space:pre-wrap}
        .cards{display:flex;flex-wrap:wrap;gap:8px}.card{border:1px solid #d0d7de;border-radius:6px;padding:8px 14px;min-width:90px}
        .card b{display:block;font-size:22px}.card span{color:#57606a}.card.ok b{color:#1a7f37}.card.bad b{color:#cf222e}
        figure{margin:10px 0 18px}figcaption{font-weight:600;margin-bottom:4px}svg{width:100%;height:auto;display:block}
        .axis line{stroke:#8c959f}.axis line.grid{stroke:#eaeef2}.axis text{font-size:11px;fill:#57606a}
        rect.gap{fill:#d0d7de;fill-opacity:.45}.legend{display:flex;flex-wrap:wrap;gap:14px;font-size:12px;color:#57606a}
        .legend i{display:inline-block;width:10px;height:10px;margin-right:5px;vertical-align:-1px}.legend i.gap{background:#d0d7de}
        footer{margin-top:32px;color:#57606a;font-size:12px}
        @media print{body{margin:0;max-width:none}h2{break-after:avoid}figure,table{break-inside:avoid}details{display:block}pre{max-height:none}}
        """
}
