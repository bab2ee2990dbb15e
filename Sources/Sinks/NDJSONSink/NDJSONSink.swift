import JSONStream
import OfferCancelKit

/// `ndjson[:PATH|-|+PATH]`: one JSON object per record and line, its bytes written straight
/// from the record (`CancelRecord.appendJSON`, no jansson tree).
///
/// Keys and order are ``CancelRecord/fieldNames``; absent values are `null`. With
/// `--include-offer` each line also carries the reply's `offer` object exactly as parsed.
/// Each line — each batch of lines, in one `write(2)` — reaches the kernel before `write`
/// returns. `+PATH` appends.
public struct NDJSONSink: OfferSink {
    private let output: SinkOutput
    private var lines: CancelRecord.LineWriter

    /// Claims `target` in `context`; the file is made by `open`.
    public init(target: String?, includeOffer: Bool, context: SinkContext = SinkContext()) throws {
        output = try SinkOutput(target: target, scheme: "ndjson", context: context)
        lines = CancelRecord.LineWriter(includeOffer: includeOffer)
    }

    /// Every line is a record (the log `--resume` reads).
    public var keepsRecords: Bool { true }

    public func open(_ run: RunInfo) async throws { try output.open() }

    public mutating func write(_ record: CancelRecord) async throws {
        try await output.write(lines.line(record))
    }

    /// The batch's lines in one write.
    public mutating func write(contentsOf records: [CancelRecord]) async throws {
        try await output.write(lines.lines(records))
    }

    public func close(_ summary: RunSummary) async throws {}

    /// The option that puts the reply's offer object in each record (`--include-offer`).
    public static let includeOfferOption = "ndjson.include-offer"

    /// Adds the `ndjson` scheme.
    public static func register(in registry: inout SinkRegistry) {
        registry.register("ndjson", targetUsage: "PATH|+PATH|-", help: "one JSON object per record (default target: stdout; +PATH appends)",
                          options: [.init(includeOfferOption, .flag, help: "records carry the reply's whole offer object (--include-offer)")]) { spec, context in
            try NDJSONSink(target: spec.target, includeOffer: context.flag(includeOfferOption), context: context)
        }
    }
}
