import CSVSink
import ExecSink
import Foundation
import NDJSONSink
import OfferCancelKit
import RunMetrics
import SummarySink

/// The cancel run's sinks: what each is told (its context), which ones the flags name or the
/// defaults add, and the built-in schemes.
extension CancelFrontend {
    /// What every sink is told: the streams, `--overwrite`, and the sinks' options —
    /// `--sink-option KEY=VALUE` and the shorthands `--csv-columns` and `--include-offer` —
    /// each checked against the options the registry's schemes declare.
    func sinkContext() throws -> SinkContext {
        var context = SinkContext()
        context.overwrite = output.overwrite
        context.stderrIsTerminal = console.stderrIsTerminal
        context.stderr = { console.write($0) }
        context.noColor = !Console.allowsColour()
        for option in output.sinkOptions {
            let parts = option.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { throw SinkSpecError("--sink-option \(option): expected KEY=VALUE") }
            context.options[String(parts[0])] = String(parts[1])
        }
        let registry = OfferCancelCommand.registry
        try registry.check(context.options)
        if let columns = output.csvColumns {
            if let problem = registry.problem(CSVSink.columnsOption, columns) { throw SinkSpecError("--csv-columns \(columns): \(problem)") }
            context.options[CSVSink.columnsOption] = columns
        }
        if output.includeOffer {
            context.options[NDJSONSink.includeOfferOption] = "true"
            context.options[ExecSink.includeOfferOption] = "true"
        }
        return context
    }

    /// The sinks the flags name, or the defaults: the records to stdout when it is not a
    /// terminal, else to `recordLog`. The text summary goes to stderr unless `-q` or a
    /// `summary` sink is named (naming other sinks used to drop it silently). Touches no file.
    func makeSinks(context: inout SinkContext, recordLog: String?, metrics: RunMetrics? = nil) throws -> SinkHub {
        var specs = try output.sinks.map { try SinkSpec(parsing: $0) }
        if output.sinks.isEmpty {
            if let recordLog {
                specs.append(SinkSpec(scheme: "ndjson", target: recordLog))
            } else if !console.stdoutIsTerminal && !output.noRecords {
                specs.append(SinkSpec(scheme: "ndjson", target: "-"))
            }
        }
        if !output.quiet, !specs.contains(where: { $0.scheme == "summary" }) { specs.append(SinkSpec(scheme: "summary")) }
        let registry = OfferCancelCommand.registry
        var sinks: [(name: String, sink: any OfferSink)] = try specs.map { ($0.description, try registry.makeSink($0, context: context)) }
        if output.verbose { sinks.append(("verbose", VerboseSink(console: console))) }
        if let metrics { sinks.append(("metrics", MetricsSink(metrics))) }
        return SinkHub(sinks, report: console.note)
    }
}

extension SinkRegistry {
    /// The built-in schemes: csv, ndjson, summary, summary-json, exec.
    public static var standard: SinkRegistry {
        var registry = SinkRegistry()
        CSVSink.register(in: &registry)
        NDJSONSink.register(in: &registry)
        SummarySink.register(in: &registry)
        ExecSink.register(in: &registry)
        return registry
    }
}

/// The record log a terminal run writes when no sink is named.
enum RunLog {
    /// `offer-cancel-YYYYMMDD-HHMMSS.ndjson` (UTC), in the working directory.
    static func named(at time: Timestamp) -> String {
        let stamp = time.rfc3339.prefix(19).replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: "").replacingOccurrences(of: "T", with: "-")
        return "offer-cancel-\(stamp).ndjson"
    }
}
