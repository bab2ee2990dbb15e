import Foundation
import JSONStream
import OfferCancelKit

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
    private let target: String?
    private let color: Bool
    private var statistics = RunStatistics()
    private var run: RunInfo?

    /// - Parameters:
    ///   - target: a path, `-` for stdout, or `nil` for stderr (text) — JSON needs a target.
    ///   - color: ANSI colour in the text (only for a terminal, and never with NO_COLOR).
    public init(style: Style, target: String?, color: Bool = false) throws {
        if style == .json && target == nil { throw SinkSpecError("summary-json needs a target: summary-json:PATH or summary-json:-") }
        if let target, target != "-" {
            let directory = (target as NSString).deletingLastPathComponent
            var isDirectory: ObjCBool = false
            if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) || !isDirectory.boolValue {
                throw SinkSpecError("\(style == .json ? "summary-json" : "summary"):\(target): no such directory \(directory)")
            }
        }
        self.style = style
        self.target = target
        self.color = color && style == .text && target == nil
    }

    public mutating func open(_ run: RunInfo) async throws { self.run = run }

    public mutating func write(_ record: CancelRecord) async throws { statistics.add(record) }

    public func close(_ summary: RunSummary) async throws {
        switch style {
        case .text: try emit(Array(SummaryText.render(statistics, summary: summary, color: color).utf8))
        case .json:
            var buffer = JSONWriteBuffer()
            buffer.append(SummaryJSON.render(statistics, summary: summary, run: run))
            buffer.append(0x0A)
            try emit(buffer.bytes)
        }
    }

    private func emit(_ bytes: [UInt8]) throws {
        switch target {
        case nil: try writeAll(bytes, to: STDERR_FILENO)
        case "-": try writeAll(bytes, to: STDOUT_FILENO)
        case let path?:
            // Whole-file output: write a sibling temporary file, then rename over the target.
            let temporary = path + ".tmp-\(getpid())"
            guard FileManager.default.createFile(atPath: temporary, contents: Data(bytes)) else {
                throw SinkSpecError("cannot write \(temporary)")
            }
            guard rename(temporary, path) == 0 else {
                let reason = String(cString: strerror(errno))
                unlink(temporary)
                throw SinkSpecError("cannot rename \(temporary) to \(path): \(reason)")
            }
        }
    }

    /// Adds the `summary` and `summary-json` schemes.
    public static func register(in registry: inout SinkRegistry) {
        registry.register("summary", targetUsage: "PATH|-", help: "totals, status codes, errors, latency percentiles as text (default: stderr)") { spec, context in
            try SummarySink(style: .text, target: spec.target, color: context.stderrIsTerminal && !context.noColor)
        }
        registry.register("summary-json", targetUsage: "PATH|-", help: "the same statistics as one JSON document, written atomically") { spec, _ in
            try SummarySink(style: .json, target: spec.target)
        }
    }
}
