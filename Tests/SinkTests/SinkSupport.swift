import Foundation
import JSONStream
import OfferCancelKit
import TestSupport

enum Seed {
    static let reply: JSONValue = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/cancel-offer-response.json")
        return try! JSONValue.parse(Array(Data(contentsOf: url)))
    }()

    static var offer: JSONValue { reply["result"]! }
    static var description: String { offer.value(atPath: "nft.description")!.string! }
    static var contractDescription: String { offer.value(atPath: "nft.contract.description")!.string! }
}

/// Records of every outcome, some carrying the seed's offer and its awkward text.
func mixedRecords(count: Int = 40) -> [CancelRecord] {
    let outcomes = Outcome.allCases
    return (1...count).map { seq in
        let outcome = outcomes[seq % outcomes.count]
        var record = CancelRecord(seq: seq, source: seq % 3 == 0 ? "-" : "ids, \"quoted\".csv", line: seq + 1,
                                  offerId: String(format: "%08x-0000-4000-8000-%012x", seq, seq), outcome: outcome)
        record.startedAt = Timestamp(nanoseconds: 1_764_000_000_000_000_000 + Int64(seq) * 1_000_000)
        record.finishedAt = Timestamp(nanoseconds: 1_764_000_000_020_000_000 + Int64(seq) * 1_000_000)
        if outcome.wasSent {
            record.httpStatus = [200, 409, 404, 403, 409, 503][seq % 6]
            record.attempts = 1 + seq % 3
            record.latencyMs = Double(seq) * 1.25 + 0.001
        }
        if outcome == .cancelled {
            record.offerStatus = Seed.offer["status"]?.string
            record.offerType = "SALE"
            record.price = Seed.offer["price"]
            record.sellerAddress = Seed.offer["sellerAddress"]?.string
            record.nftId = seq % 2 == 0 ? Seed.offer.value(atPath: "nft.id")?.string : String(repeating: "9", count: 78)
            // The seed's hardest text (quotes, newlines, ’) in fields both sinks carry.
            record.nftName = Seed.description
            record.contractName = Seed.contractDescription
            record.chain = "MATIC"
            record.offer = Seed.offer
        } else if !outcome.isOK {
            record.errorCode = "offer.\(outcome.rawValue)"
            record.errorMessage = "Offer is \"\(outcome.rawValue)\",\nsee ’trace’"
            record.traceCode = "t\(seq)"
        }
        if seq % 5 == 0 { record.confirmed = seq % 10 == 0 }
        return record
    }
}

/// Drives `sinks` through a whole run with `records`.
func drive(_ sinks: [any OfferSink], records: [CancelRecord], interrupted: Bool = false) async throws {
    var hub = SinkHub(sinks.enumerated().map { ("sink\($0.offset)", $0.element) }, report: { _ in })
    let start = Timestamp(nanoseconds: 1_764_000_000_000_000_000)
    try await hub.open(RunInfo(startedAt: start, inputs: ["x"], baseURL: "http://127.0.0.1:1", concurrency: 4, dryRun: false, toolVersion: "test"))
    for record in records { try await hub.write(record) }
    var counts: [Outcome: Int] = [:]
    for record in records { counts[record.outcome, default: 0] += 1 }
    await hub.close(RunSummary(startedAt: start, finishedAt: Timestamp(nanoseconds: start.nanoseconds + 2_000_000_000),
                               counts: counts, interrupted: interrupted, abortReason: nil))
}

/// Runs `python3 -c script args…` and returns its stdout.
func python(_ script: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + arguments
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw CocoaError(.fileReadUnknown) }
    return String(decoding: data, as: UTF8.self)
}
