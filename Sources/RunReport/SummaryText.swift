import JSONStream
import OfferCancelKit

/// The text summary: a few aligned lines a person reads at a glance.
public enum SummaryText {
    /// A live run's summary: the headline, then ``body(_:summary:color:)``.
    public static func render(_ stats: RunStatistics, summary: RunSummary, color: Bool) -> String {
        let seconds = summary.duration.seconds
        let paint = painter(color)
        var headline = "offer-cancel: \(stats.total) records in \(format(seconds, digits: 2)) s"
        if seconds > 0, stats.requests > 0 { headline += " (\(format(Double(stats.requests) / seconds, digits: 1)) requests/s)" }
        if summary.interrupted { headline += " — " + paint("33", "interrupted") }
        if let reason = summary.abortReason { headline += " — " + paint("31", "aborted: \(reason)") }
        return ([headline] + body(stats, summary: summary, color: color)).joined(separator: "\n") + "\n"
    }

    /// The indented lines under a headline: outcomes, statuses, requests, latency, flow,
    /// confirmations, errors.
    public static func body(_ stats: RunStatistics, summary: RunSummary, color: Bool) -> [String] {
        let paint = painter(color)
        var lines: [String] = []
        let outcomes = Outcome.allCases.compactMap { outcome -> String? in
            guard let count = stats.byOutcome[outcome], count > 0 else { return nil }
            return paint(outcome.isOK ? "32" : "31", "\(outcome.rawValue) \(count)")
        }
        lines.append("  outcomes   " + (outcomes.isEmpty ? "none" : outcomes.joined(separator: ", ")))
        if !stats.byHTTPStatus.isEmpty {
            lines.append("  http       " + stats.byHTTPStatus.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", "))
        }
        lines.append("  requests   \(stats.requests) sent, \(stats.retries) retries")
        if summary.unrecordedActedOn > 0 || summary.total > summary.recordsKept && summary.recordsKept > 0 {
            lines.append("  " + paint("31", "records    \(summary.recordsKept) kept; \(summary.unrecordedActedOn) offers acted on after the record stream was lost (listed above as \"not recorded\")"))
        }
        if let latency = stats.latencyMs { lines.append("  latency ms " + percentiles(latency)) }
        if let method = summary.cancelMethod { lines.append("  method     " + method) }
        if let flow = summary.flow { lines.append("  flow       " + flowLine(flow)) }
        if stats.confirmed + stats.unconfirmed > 0 {
            var line = "  confirmed  \(stats.confirmed) seen CLOSED"
            if stats.unconfirmed > 0 {
                let statuses = stats.notClosedByStatus.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { "\($0.key) ×\($0.value)" }
                line += ", " + paint("31", "\(stats.unconfirmed) not seen CLOSED" + (statuses.isEmpty ? "" : " (\(statuses.joined(separator: ", ")))"))
            }
            lines.append(line)
            if let confirmation = stats.confirmationMs { lines.append("  closed ms  " + percentiles(confirmation)) }
        }
        let codes = stats.topErrorCodes()
        if !codes.isEmpty {
            lines.append("  errors     " + codes.map { "\($0.code) ×\($0.count)" }.joined(separator: ", "))
        }
        return lines
    }

    /// Wraps text in an ANSI colour when `color` is on.
    static func painter(_ color: Bool) -> (_ code: String, _ text: String) -> String {
        // Each line on its own: a reset after a newline would leave the next line coloured.
        { code, text in color ? text.split(separator: "\n", omittingEmptySubsequences: false).map { "\u{1B}[\(code)m\($0)\u{1B}[0m" }.joined(separator: "\n") : text }
    }

    /// 429s (a share of every reply flow control saw, confirmation polls included), throttling
    /// episodes apart from isolated 429/503s, what the run learned, and what it refused.
    static func flowLine(_ flow: FlowStatistics) -> String {
        var parts = ["429 ×\(flow.throttled)" + (flow.replies > 0 ? " (\(format(100 * Double(flow.throttled) / Double(flow.replies), digits: 1)) %)" : "")]
        if flow.overloaded > 0 { parts.append("503 ×\(flow.overloaded)") }
        parts.append("\(flow.episodes) throttling episodes (\(flow.pauses) run-wide pauses, \(format(flow.paused.seconds, digits: 1)) s)")
        if flow.isolated > 0 { parts.append("\(flow.isolated) isolated 429/503 retried alone") }
        parts.append(rateText(flow))
        parts.append("concurrency limit \(flow.concurrencyLimit)")
        if flow.budgetExhausted > 0 { parts.append("retry budget refused \(flow.budgetExhausted)") }
        if flow.breakerTrips > 0 { parts.append("circuit breaker opened \(flow.breakerTrips)×") }
        return parts.joined(separator: ", ")
    }

    /// The pace: a limit found, the `--rate` ceiling, or none.
    static func rateText(_ flow: FlowStatistics) -> String {
        let ceiling = flow.rateCeiling.map { "ceiling \(format($0, digits: 1))/s (--rate)" }
        if let learned = flow.learnedRate {
            return "limit found: rate \(format(learned, digits: 1))/s" + (ceiling.map { ", \($0)" } ?? "")
        }
        return "rate " + (ceiling ?? "unpaced (no limit found)")
    }

    public static func percentiles(_ values: RunStatistics.Percentiles) -> String {
        let parts = [("min", values.min), ("mean", values.mean), ("p50", values.p50), ("p90", values.p90), ("p99", values.p99), ("max", values.max)]
        return parts.map { "\($0.0) \(format($0.1, digits: 1))" }.joined(separator: "  ")
    }

    /// `value` rounded to `digits` decimals, trailing zeros kept (`2.50`).
    public static func format(_ value: Double, digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        var text = String(rounded)
        if let dot = text.firstIndex(of: ".") {
            let decimals = text.distance(from: dot, to: text.endIndex) - 1
            if decimals < digits { text += String(repeating: "0", count: digits - decimals) }
        }
        return text
    }
}

