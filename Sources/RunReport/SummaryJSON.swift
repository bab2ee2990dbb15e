import JSONStream
import OfferCancelKit

/// The JSON summary document (`summary-json`).
public enum SummaryJSON {
    /// The document; `extra` members (what `report` read) go at the end.
    public static func render(_ stats: RunStatistics, summary: RunSummary, run: RunInfo?, extra: [(String, JSONValue)] = []) -> JSONValue {
        let seconds = summary.duration.seconds
        let latency: JSONValue = stats.latencyMs.map(percentiles) ?? .null
        let confirmation: JSONValue = stats.confirmationMs.map(percentiles) ?? .null
        let ok = stats.ok
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
            ("cancelMethod", summary.cancelMethod.map(JSONValue.string) ?? .null),
            ("baseURL", run.map { .string($0.baseURL) } ?? .null),
            ("dryRun", .bool(run?.dryRun ?? false)),
        ]
        return .object(members + extra)
    }

    private static func flow(_ flow: FlowStatistics) -> JSONValue {
        .object([
            ("replies", .integer(Int64(flow.replies))),
            ("throttled", .integer(Int64(flow.throttled))),
            ("overloaded", .integer(Int64(flow.overloaded))),
            ("episodes", .integer(Int64(flow.episodes))),
            ("pauses", .integer(Int64(flow.pauses))),
            ("isolated", .integer(Int64(flow.isolated))),
            ("pausedSeconds", .real(flow.paused.seconds)),
            ("learnedRate", flow.learnedRate.map(JSONValue.real) ?? .null),
            ("rateCeiling", flow.rateCeiling.map(JSONValue.real) ?? .null),
            ("noiseFloor", .real(flow.noiseFloor)),
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
