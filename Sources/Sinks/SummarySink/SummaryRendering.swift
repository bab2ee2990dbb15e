import JSONStream
import OfferCancelKit

/// The text summary: a few aligned lines a person reads at a glance.
enum SummaryText {
    static func render(_ stats: RunStatistics, summary: RunSummary, color: Bool) -> String {
        let seconds = Double(summary.duration.components.seconds) + Double(summary.duration.components.attoseconds) / 1e18
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
        if let latency = stats.latencyMs {
            let parts = [("min", latency.min), ("mean", latency.mean), ("p50", latency.p50), ("p90", latency.p90), ("p99", latency.p99), ("max", latency.max)]
            lines.append("  latency ms " + parts.map { "\($0.0) \(format($0.1, digits: 1))" }.joined(separator: "  "))
        }
        let codes = stats.topErrorCodes()
        if !codes.isEmpty {
            lines.append("  errors     " + codes.map { "\($0.code) ×\($0.count)" }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n") + "\n"
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
        let seconds = Double(summary.duration.components.seconds) + Double(summary.duration.components.attoseconds) / 1e18
        let latency: JSONValue = stats.latencyMs.map { latency in
            .object([("min", .real(latency.min)), ("mean", .real(latency.mean)), ("p50", .real(latency.p50)),
                     ("p90", .real(latency.p90)), ("p99", .real(latency.p99)), ("max", .real(latency.max))])
        } ?? .null
        return .object([
            ("total", .integer(Int64(stats.total))),
            ("outcomes", .object(Outcome.allCases.map { ($0.rawValue, .integer(Int64(stats.byOutcome[$0] ?? 0))) })),
            ("ok", .integer(Int64(stats.byOutcome.filter { $0.key.isOK }.values.reduce(0, +)))),
            ("failed", .integer(Int64(stats.byOutcome.filter { !$0.key.isOK }.values.reduce(0, +)))),
            ("httpStatus", .object(stats.byHTTPStatus.sorted { $0.key < $1.key }.map { (String($0.key), .integer(Int64($0.value))) })),
            ("topErrorCodes", .array(stats.topErrorCodes(10).map { .object([("code", .string($0.code)), ("count", .integer(Int64($0.count)))]) })),
            ("requests", .integer(Int64(stats.requests))),
            ("retries", .integer(Int64(stats.retries))),
            ("latencyMs", latency),
            ("startedAt", .string(summary.startedAt.rfc3339)),
            ("finishedAt", .string(summary.finishedAt.rfc3339)),
            ("durationSeconds", .real(seconds)),
            ("throughputPerSecond", .real(seconds > 0 ? Double(stats.requests) / seconds : 0)),
            ("interrupted", .bool(summary.interrupted)),
            ("abortReason", summary.abortReason.map(JSONValue.string) ?? .null),
            ("baseURL", run.map { .string($0.baseURL) } ?? .null),
            ("dryRun", .bool(run?.dryRun ?? false)),
        ])
    }
}
