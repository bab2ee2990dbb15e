import Foundation
import MockMarket
import NIOConcurrencyHelpers
import OfferCancelKit
import Testing
import TestSupport

/// What a sink was handed, batch by batch, and how many cancels the market had received when
/// each batch arrived.
private final class BatchLog: Sendable {
    struct Batch: Sendable {
        var seqs: [Int]
        var cancelsAtMarket: Int
    }

    let batches = NIOLockedValueBox<[Batch]>([])
}

/// Logs each batch; `write(_:)` alone (one record at a time) logs a batch of one.
private struct BatchLoggingSink: OfferSink {
    let log: BatchLog
    let market: MockMarketServer?

    var keepsRecords: Bool { true }

    func open(_ run: RunInfo) async throws {}

    func write(_ record: CancelRecord) async throws { note([record]) }

    func write(contentsOf records: [CancelRecord]) async throws { note(records) }

    func close(_ summary: RunSummary) async throws {}

    private func note(_ records: [CancelRecord]) {
        let cancels = market.map { $0.stats()["requests"]?["cancel"]?.integer ?? 0 } ?? 0
        log.batches.withLockedValue { $0.append(.init(seqs: records.map(\.seq), cancelsAtMarket: Int(cancels))) }
    }
}

/// Group commit (issue 29): the records one turn of the run's loop completes reach each sink as
/// one batch, before the requests their slots free are started.
@Suite struct GroupCommitTests {
    private func run(ids count: Int, concurrency: Int, market: MockMarketServer?, log: BatchLog) async throws -> RunResult {
        let scratch = try Scratch()
        let path = scratch.file("ids.txt")
        try (0..<count).map { _ in UUID().uuidString.lowercased() }.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let source = try IDSource.open([path], options: IDSourceOptions(validator: try IDValidator()))
        var hub = SinkHub([(name: "batches", sink: BatchLoggingSink(log: log, market: market))], report: { _ in })
        let baseURL = market?.baseURL ?? "-"
        let info = RunInfo(startedAt: .now(), inputs: [path], baseURL: baseURL, concurrency: concurrency, dryRun: market == nil, toolVersion: "test")
        try await hub.open(info)
        guard let market else {
            return try await CancelPipeline(mode: .dryRun, concurrency: concurrency, settings: CancelSettings()).run(source: source, hub: &hub, info: info)
        }
        let client = try MarketClient(baseURL: market.baseURL, credentials: .token("mock-token"), concurrency: concurrency, timeout: .seconds(30))
        let result = try await CancelPipeline(mode: .send(client), concurrency: concurrency, settings: CancelSettings()).run(source: source, hub: &hub, info: info)
        await client.shutdown()
        return result
    }

    /// A dry run reads up to twice `concurrency` items a turn (what the input thread has
    /// ready): each read's records are one batch. Before group commit every record was a write
    /// of its own (100 batches of one here).
    @Test func aTurnsRecordsReachTheSinkAsOneBatch() async throws {
        let log = BatchLog()
        let result = try await run(ids: 100, concurrency: 4, market: nil, log: log)
        let batches = log.batches.withLockedValue { $0 }
        #expect(result.summary.total == 100)
        #expect(batches.flatMap(\.seqs).sorted() == Array(1...100), "every record once")
        #expect(batches.allSatisfy { $0.seqs.count <= 8 }, "no more than a read's worth")
        #expect(batches.count <= 50, "reads of several records are one batch each: \(batches.map(\.seqs.count))")
    }

    /// Against a real market over HTTP: whenever a batch reaches the sink, the market has
    /// received at most `concurrency` cancels more than the records the sink then holds — no
    /// slot is reused before the record that freed it is written.
    @Test func noMoreOffersAreActedOnAheadOfTheirRecordsThanTheConcurrency() async throws {
        let server = MockMarketServer(configuration: MarketConfiguration())
        try await server.start()
        let log = BatchLog()
        let concurrency = 16
        let result = try await run(ids: 600, concurrency: concurrency, market: server, log: log)
        await server.shutdown()
        let batches = log.batches.withLockedValue { $0 }
        #expect(result.summary.counts[.cancelled] == 600)
        var held = 0
        for batch in batches {
            held += batch.seqs.count
            #expect(batch.cancelsAtMarket <= held + concurrency, "\(batch.cancelsAtMarket) cancels at the market, \(held) records in the sink")
        }
        #expect(held == 600)
    }
}
