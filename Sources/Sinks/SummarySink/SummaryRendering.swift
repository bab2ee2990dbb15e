import JSONStream
import OfferCancelKit

/// The text summary: a few aligned lines a person reads at a glance.
enum SummaryText {
    static func render(_ stats: RunStatistics, summary: RunSummary, color: Bool) -> String {
        let seconds = summary.duration.seconds
        let paint = { (code: String, text: String) in color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
        var lines: [String] = []
        var headline = "offer-cancel: \(stats.total) records in \(format(seconds, digits: 2)) s"
        if seconds > 0, stats.requests > 0 { headline += " (\(format(Double(stats.requests) / seconds, digits: 1)) requests/s)" }
        if summary.interrupted { headline += " — " + paint("33", "interrupted") }
        if let reason = summary.abortReason { headline += " — " + paint("31", "aborted: \(reason)") }
        lines.append(headline)
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
        if let flow = summary.flow { lines.append("  flow       " + flowLine(flow, requests: stats.requests)) }
        if stats.confirmed + stats.unconfirmed > 0 {
            var line = "  confirmed  \(stats.confirmed) seen CLOSED"
            if stats.unconfirmed > 0 { line += ", " + paint("31", "\(stats.unconfirmed) not confirmed in time") }
            lines.append(line)
            if let confirmation = stats.confirmationMs { lines.append("  closed ms  " + percentiles(confirmation)) }
        }
        let codes = stats.topErrorCodes()
        if !codes.isEmpty {
            lines.append("  errors     " + codes.map { "\($0.code) ×\($0.count)" }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// 429s and pauses, what the run learned, and what it refused.
    static func flowLine(_ flow: FlowStatistics, requests: Int) -> String {
        var parts = ["429 ×\(flow.throttled)" + (requests > 0 ? " (\(format(100 * Double(flow.throttled) / Double(requests), digits: 1)) %)" : "")]
        if flow.overloaded > 0 { parts.append("503 ×\(flow.overloaded)") }
        parts.append("\(flow.pauses) pauses (\(format(flow.paused.seconds, digits: 1)) s)")
        parts.append("rate " + (flow.learnedRate.map { "learned \(format($0, digits: 1))/s" } ?? "unpaced"))
        parts.append("concurrency limit \(flow.concurrencyLimit)")
        if flow.budgetExhausted > 0 { parts.append("retry budget refused \(flow.budgetExhausted)") }
        if flow.breakerTrips > 0 { parts.append("circuit breaker opened \(flow.breakerTrips)×") }
        return parts.joined(separator: ", ")
    }

    static func percentiles(_ values: RunStatistics.Percentiles) -> String {
        let parts = [("min", values.min), ("mean", values.mean), ("p50", values.p50), ("p90", values.p90), ("p99", values.p99), ("max", values.max)]
        return parts.map { "\($0.0) \(format($0.1, digits: 1))" }.joined(separator: "  ")
    }

    static func format(_ value: Double, digits: Int) -> String {
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

/// The JSON summary document (`summary-json`).
enum SummaryJSON {
    static func render(_ stats: RunStatistics, summary: RunSummary, run: RunInfo?) -> JSONValue {
        let seconds = summary.duration.seconds
        let latency: JSONValue = stats.latencyMs.map(percentiles) ?? .null
        let confirmation: JSONValue = stats.confirmationMs.map(percentiles) ?? .null
        let ok = stats.byOutcome.filter { $0.key.isOK }.values.reduce(0, +)
        let outcomes: [(String, JSONValue)] = Outcome.allCases.map { ($0.rawValue, .integer(Int64(stats.byOutcome[$0] ?? 0))) }
        let statuses: [(String, JSONValue)] = stats.byHTTPStatus.sorted { $0.key < $1.key }.map { (String($0.key), .integer(Int64($0.value))) }
        let codes: [JSONValue] = stats.topErrorCodes(10).map { .object([("code", .string($0.code)), ("count", .integer(Int64($0.count)))]) }
        let members: [(String, JSONValue)] = [
            ("total", .integer(Int64(stats.total))),
            ("outcomes", .object(outcomes)),
            ("ok", .integer(Int64(ok))),
            ("failed", .integer(Int64(stats.total - ok))),
            ("httpStatus", .object(statuses)),
            ("topErrorCodes", .array(codes)),
            ("requests", .integer(Int64(stats.requests))),
            ("retries", .integer(Int64(stats.retries))),
            ("latencyMs", latency),
            ("confirmed", .integer(Int64(stats.confirmed))),
            ("unconfirmed", .integer(Int64(stats.unconfirmed))),
            ("confirmationMs", confirmation),
            ("startedAt", .string(summary.startedAt.rfc3339)),
            ("finishedAt", .string(summary.finishedAt.rfc3339)),
            ("durationSeconds", .real(seconds)),
            ("throughputPerSecond", .real(seconds > 0 ? Double(stats.requests) / seconds : 0)),
            ("interrupted", .bool(summary.interrupted)),
            ("abortReason", summary.abortReason.map(JSONValue.string) ?? .null),
            ("recordsKept", .integer(Int64(summary.recordsKept))),
            ("unrecordedActedOn", .integer(Int64(summary.unrecordedActedOn))),
            ("flow", summary.flow.map(flow) ?? .null),
            ("baseURL", run.map { .string($0.baseURL) } ?? .null),
            ("dryRun", .bool(run?.dryRun ?? false)),
        ]
        return .object(members)
    }

    private static func flow(_ flow: FlowStatistics) -> JSONValue {
        .object([
            ("throttled", .integer(Int64(flow.throttled))),
            ("overloaded", .integer(Int64(flow.overloaded))),
            ("pauses", .integer(Int64(flow.pauses))),
            ("pausedSeconds", .real(flow.paused.seconds)),
            ("learnedRate", flow.learnedRate.map(JSONValue.real) ?? .null),
            ("concurrencyLimit", .integer(Int64(flow.concurrencyLimit))),
            ("retryBudgetRefused", .integer(Int64(flow.budgetExhausted))),
            ("breakerTrips", .integer(Int64(flow.breakerTrips))),
            ("perSecond", .array(flow.series.map { second in
                .object([
                    ("sent", .integer(Int64(second.sent))),
                    ("ok", .integer(Int64(second.ok))),
                    ("failed", .integer(Int64(second.failed))),
                    ("throttled", .integer(Int64(second.throttled))),
                    ("inFlight", .integer(Int64(second.inFlight))),
                    ("concurrencyLimit", .integer(Int64(second.concurrencyLimit))),
                ])
            })),
        ])
    }

    private static func percentiles(_ values: RunStatistics.Percentiles) -> JSONValue {
        .object([("min", .real(values.min)), ("mean", .real(values.mean)), ("p50", .real(values.p50)),
                 ("p90", .real(values.p90)), ("p99", .real(values.p99)), ("max", .real(values.max))])
    }
}
