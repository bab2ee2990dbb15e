// The per-offer work of a run, one step at a time: time and mallocs per operation.
//
//     cd Benchmarks/Micro && swift package benchmark
import Benchmark
import CSVSink
import Foundation
import JSONStream
import NDJSONSink
import OfferCancelKit

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput],
        maxDuration: .seconds(2),
        maxIterations: 1_000_000
    )

    Benchmark("reply: parse and classify the seed reply") { benchmark in
        let bytes = Fixture.seedReply
        for _ in benchmark.scaledIterations {
            let body = try bytes.withUnsafeBytes { (raw) throws(JSONError) in try JSONValue.parse(raw) }
            var record = Fixture.blankRecord
            let verdict = ReplyClassifier.classify(MarketClient.Reply(status: 200, body: body))
            if let offer = verdict.result { record.fill(from: offer) }
            blackHole(record)
        }
    }

    Benchmark("reply: parse the seed reply (jansson)") { benchmark in
        let bytes = Fixture.seedReply
        for _ in benchmark.scaledIterations {
            blackHole(try bytes.withUnsafeBytes { (raw) throws(JSONError) in try JSONValue.parse(raw) })
        }
    }

    Benchmark("record: write as NDJSON (ndjson sink, a file)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let file = TemporaryFile()
        var sink = try NDJSONSink(target: file.path, includeOffer: false)
        try await sink.open(Fixture.run)
        let record = Fixture.cancelledRecord
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { try await sink.write(record) }
    }

    Benchmark("record: write as CSV (csv sink, a file)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let file = TemporaryFile()
        var sink = try CSVSink(target: file.path)
        try await sink.open(Fixture.run)
        let record = Fixture.cancelledRecord
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { try await sink.write(record) }
    }

    for format in ["lines", "csv", "ndjson", "json"] {
        let (path, count) = Fixture.idFile(format)
        Benchmark("input: read 1 MB of IDs as \(format) (\(count) IDs)") { benchmark in
            var options = IDSourceOptions(validator: try IDValidator())
            options.dedupe = false
            var read = 0
            for try await _ in try IDSource.open([path], options: options) { read += 1 }
            precondition(read == count, "read \(read) of \(count) IDs")
        }
    }

    // Each round inserts 1,000 new IDs into one set that keeps growing, as in a long run.
    let dedupe = DedupeBox()
    Benchmark("dedupe: insert a new ID", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let validator = try IDValidator()
        let ids = benchmark.scaledIterations.map { _ in try! validator.validate(Fixture.uuid(dedupe.next())).get() }
        benchmark.startMeasurement()
        for id in ids { blackHole(dedupe.set.insert(id)) }
    }
}

/// The set the dedupe benchmark grows across rounds (the benchmark runs one round at a time).
final class DedupeBox: @unchecked Sendable {
    var set = DedupeSet()
    private var counter = 0
    func next() -> Int {
        counter += 1
        return counter
    }
}

/// The inputs every benchmark shares.
enum Fixture {
    /// The endpoint's example reply, byte for byte (the tests' copy of `shared/seeds/`).
    static let seedReply: [UInt8] = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../../Tests/Fixtures")
        return Array(try! Data(contentsOf: root.appendingPathComponent("cancel-offer-response.json")))
    }()

    static let run = RunInfo(startedAt: .now(), inputs: ["ids.txt"], baseURL: "https://api.example", concurrency: 64, dryRun: false, toolVersion: "bench")

    static var blankRecord: CancelRecord {
        CancelRecord(seq: 1, source: "ids.txt", line: 1, offerId: uuid(1), outcome: .cancelled)
    }

    /// A record as a cancelled offer leaves it: the seed's fields, timings, status.
    static let cancelledRecord: CancelRecord = {
        var record = blankRecord
        let body = try! JSONValue.parse(seedReply)
        record.fill(from: body["result"]!)
        record.httpStatus = 200
        record.attempts = 1
        record.latencyMs = 3.217
        record.waitMs = 0.004
        record.startedAt = .now()
        record.finishedAt = .now()
        return record
    }()

    static func uuid(_ n: Int) -> String {
        let hex = String(UInt64(n) &* 0x9E37_79B9_7F4A_7C15, radix: 16)
        let padded = String(repeating: "0", count: 16 - hex.count) + hex
        let digits = Array(padded + padded.reversed())
        return String(digits[0..<8]) + "-" + String(digits[8..<12]) + "-4" + String(digits[13..<16]) + "-8"
            + String(digits[17..<20]) + "-" + String(digits[20..<32])
    }

    /// A file of about 1 MB of distinct IDs in `format`, and how many it holds.
    static func idFile(_ format: String) -> (String, Int) {
        let path = NSTemporaryDirectory() + "offer-cancel-micro-\(getpid())-ids.\(format == "lines" ? "txt" : format)"
        var text = format == "csv" ? "id,note\n" : format == "json" ? "[\n" : ""
        var count = 0
        while text.utf8.count < 1_000_000 {
            let id = uuid(count)
            switch format {
            case "csv": text += "\(id),season end\n"
            case "ndjson": text += "{\"id\":\"\(id)\"}\n"
            case "json": text += (count > 0 ? ",\n" : "") + "{\"id\":\"\(id)\"}"
            default: text += id + "\n"
            }
            count += 1
        }
        if format == "json" { text += "\n]\n" }
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return (path, count)
    }
}

/// A path in the temporary folder, removed when the value goes.
final class TemporaryFile {
    let path = NSTemporaryDirectory() + "offer-cancel-micro-\(getpid())-\(UUID().uuidString)"
    deinit { unlink(path) }
}
