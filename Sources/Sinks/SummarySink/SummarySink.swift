import JSONStream
import OfferCancelKit
import RunReport

/// `summary[:PATH|-]` (text, stderr by default) and `summary-json:PATH|-` (one JSON document).
///
/// Both report totals by outcome, the HTTP status histogram, the top error codes, retries,
/// latency min/mean/p50/p90/p99/max, duration, throughput and whether the run was
/// interrupted or aborted. The JSON file is written whole at close, through a temporary file
/// and a rename, so readers never see half of it.
public struct SummarySink: OfferSink {
    /// Text for people, or one JSON document for programs.
    public enum Style: Sendable { case text, json }

    private let style: Style
    /// `nil` for stderr.
    private let output: SinkOutput?
    private let stderr: @Sendable (String) -> Void
    private let color: Bool
    private var statistics = RunStatistics()
    private var run: RunInfo?

    /// - Parameters:
    ///   - target: a path, `-` for stdout, or `nil` for stderr (text) — JSON needs a target.
    ///     A path is claimed in `context` and written whole at close.
    ///   - color: ANSI colour in the text (only for a terminal, and never with NO_COLOR).
    public init(style: Style, target: String?, color: Bool = false, context: SinkContext = SinkContext()) throws {
        if style == .json && target == nil { throw SinkSpecError("summary-json needs a target: summary-json:PATH or summary-json:-") }
        self.style = style
        output = try target.map { try SinkOutput(target: $0, scheme: style == .json ? "summary-json" : "summary", context: context) }
        self.color = color && style == .text && target == nil
        stderr = context.stderr
    }

    /// Only totals: a run needs another sink to keep its records.
    public var keepsRecords: Bool { false }

    public mutating func open(_ run: RunInfo) async throws { self.run = run }

    public mutating func write(_ record: CancelRecord) async throws { statistics.add(record) }

    public func close(_ summary: RunSummary) async throws {
        let bytes: [UInt8]
        switch style {
        case .text:
            let text = SummaryText.render(statistics, summary: summary, color: color)
            guard output != nil else { return stderr(text) }
            bytes = Array(text.utf8)
        case .json:
            var buffer = JSONWriteBuffer()
            buffer.append(SummaryJSON.render(statistics, summary: summary, run: run))
            buffer.append(0x0A)
            bytes = buffer.bytes
        }
        try await output?.replaceWhole(with: bytes)
    }

    /// Adds the `summary` and `summary-json` schemes.
    public static func register(in registry: inout SinkRegistry) {
        registry.register("summary", targetUsage: "PATH|-", help: "totals, status codes, errors, latency percentiles as text (default: stderr)") { spec, context in
            try SummarySink(style: .text, target: spec.target, color: context.stderrIsTerminal && !context.noColor, context: context)
        }
        registry.register("summary-json", targetUsage: "PATH|-", help: "the same statistics as one JSON document, written atomically") { spec, context in
            try SummarySink(style: .json, target: spec.target, context: context)
        }
    }
}
