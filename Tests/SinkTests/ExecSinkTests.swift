import ExecSink
import Foundation
import JSONStream
import OfferCancelKit
import Testing
import TestSupport

@Suite struct ExecSinkTests {
    @Test func recordsReachTheCommandAsNDJSON() async throws {
        let scratch = try Scratch()
        let records = mixedRecords(count: 25)
        try await drive([try ExecSink(command: "cat > '\(scratch.file("piped.ndjson"))'")], records: records)
        let reader = NDJSONReader(input: try ByteInput(path: scratch.file("piped.ndjson")), maxLineLength: 1 << 20)
        var seqs: [Int64] = []
        while let item = try reader.next() { seqs.append(try item.value.get()["seq"]?.integer ?? -1) }
        #expect(seqs == (1...25).map(Int64.init))
    }

    @Test func aDyingCommandIsReportedNotFatal() async throws {
        var sink = try ExecSink(command: "head -n 2 > /dev/null; exit 0")
        try await sink.open(RunInfo(startedAt: .now(), inputs: [], baseURL: "", concurrency: 1, dryRun: false, toolVersion: "t"))
        var failure: (any Error)?
        for record in mixedRecords(count: 2000) {
            do { try await sink.write(record) } catch {
                failure = error
                break
            }
        }
        let error = try #require(failure, "writing past the child's exit fails")
        #expect("\(error)".contains("head -n 2"))
    }

    @Test func aNonZeroExitIsReportedAtClose() async throws {
        var sink = try ExecSink(command: "cat > /dev/null; exit 3")
        try await sink.open(RunInfo(startedAt: .now(), inputs: [], baseURL: "", concurrency: 1, dryRun: false, toolVersion: "t"))
        try await sink.write(mixedRecords(count: 1)[0])
        let summary = RunSummary(startedAt: .now(), finishedAt: .now(), counts: [:], interrupted: false, abortReason: nil)
        await #expect(throws: SinkSpecError.self) { try await sink.close(summary) }
    }

    @Test func anEmptyCommandIsASetUpError() {
        #expect(throws: SinkSpecError.self) { try ExecSink(command: "  ") }
    }
}
