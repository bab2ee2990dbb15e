import Foundation
import OfferCancelKit

/// `markdown:PATH`: a report a person can paste into a ticket — the run, totals by outcome,
/// and a table of the offers that could not be cancelled (the first `failureLimit`).
///
/// Memory stays bounded: only counts and at most `failureLimit` failures are kept. The file
/// is written whole at close, through a temporary file and a rename (``SinkOutput``).
public struct MarkdownReportSink: OfferSink {
    public let path: String
    public let failureLimit: Int
    private let output: SinkOutput
    private var run: RunInfo?
    private var counts: [Outcome: Int] = [:]
    private var failures: [CancelRecord] = []
    private var unlisted = 0

    /// Claims `path` in `context` (a missing folder, or a file the run already uses, is a
    /// set-up error); nothing is written before `close`.
    public init(path: String, failureLimit: Int = 1000, context: SinkContext = SinkContext()) throws {
        output = try SinkOutput(target: path, scheme: "markdown", context: context)
        self.path = path
        self.failureLimit = failureLimit
    }

    /// A report lists only failures: the run needs another sink for its records.
    public var keepsRecords: Bool { false }

    public mutating func open(_ run: RunInfo) async throws {
        self.run = run
    }

    public mutating func write(_ record: CancelRecord) async throws {
        counts[record.outcome, default: 0] += 1
        guard !record.outcome.isOK else { return }
        if failures.count < failureLimit { failures.append(record) } else { unlisted += 1 }
    }

    public func close(_ summary: RunSummary) async throws {
        try await output.replaceWhole(with: Array(render(summary).utf8))
    }

    /// The report's text.
    public func render(_ summary: RunSummary) -> String {
        var lines = ["# Offer cancellation report", ""]
        if let run {
            lines.append("- Started: \(run.startedAt.rfc3339)")
            lines.append("- Inputs: \(run.inputs.map { "`\($0)`" }.joined(separator: ", "))")
            lines.append("- API: \(run.baseURL)\(run.dryRun ? " (dry run)" : "")")
        }
        lines.append("- Finished: \(summary.finishedAt.rfc3339)")
        if summary.interrupted { lines.append("- **Interrupted** before all input was read") }
        if let reason = summary.abortReason { lines.append("- **Aborted:** \(Self.escape(reason))") }
        lines += ["", "| outcome | records |", "|---|---:|"]
        for outcome in Outcome.allCases where counts[outcome, default: 0] > 0 {
            lines.append("| \(outcome.rawValue) | \(counts[outcome]!) |")
        }
        lines.append("| **total** | \(counts.values.reduce(0, +)) |")
        if !failures.isEmpty {
            lines += ["", "## Not cancelled", "", "| offer | outcome | HTTP | why | where |", "|---|---|---:|---|---|"]
            for record in failures {
                let status = record.httpStatus.map(String.init) ?? ""
                let why = Self.escape(record.errorMessage ?? record.errorCode ?? "")
                lines.append("| `\(Self.escape(record.offerId))` | \(record.outcome.rawValue) | \(status) | \(why) | \(Self.escape(record.source)):\(record.line) |")
            }
            if unlisted > 0 { lines += ["", "…and \(unlisted) more not listed."] }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Keeps a value inside one table cell.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
    }

    /// Adds the `markdown` scheme.
    public static func register(in registry: inout SinkRegistry) {
        registry.register("markdown", targetUsage: "PATH", help: "a Markdown report: totals and the offers not cancelled",
                          options: [.init("markdown.limit", .integer, help: "offers listed at most (default 1000)")]) { spec, context in
            guard let path = spec.target, !path.isEmpty else { throw SinkSpecError("markdown needs a path: markdown:report.md") }
            return try MarkdownReportSink(path: path, failureLimit: context.integer("markdown.limit") ?? 1000, context: context)
        }
    }
}
