@testable import ExecSink
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

    /// Whatever the process did with SIGPIPE before (the command line ignores it; a program
    /// embedding the sink may not), opening the sink makes a gone consumer an error.
    @Test func aDyingCommandIsReportedNotFatal() async throws {
        signal(SIGPIPE, SIG_DFL)
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
        await #expect(throws: SinkWriteError.self) { try await sink.close(summary) }
    }

    @Test func anEmptyCommandIsASetUpError() {
        #expect(throws: SinkSpecError.self) { try ExecSink(command: "  ") }
    }

    @Test(arguments: [
        ("jq -c .", nil as String?),
        ("cat > out.ndjson", nil),
        ("/bin/cat", nil),
        ("no-such-program-xyz --flag", "no-such-program-xyz"),
        ("/no/such/program", "/no/such/program"),
        ("FOO=1 whatever", nil),         // an assignment: the shell's to judge
        ("read line; echo $line", nil),  // a builtin
        ("(cat)", nil),
    ])
    func theCommandMustBeFoundBeforeTheRun(command: String, missing: String?) {
        #expect(ExecSink.missingProgram(in: command, path: "/usr/bin:/bin") == missing)
    }

    @Test func theCommandGetsNoSecretsAndItsOwnProcessGroup() async throws {
        let scratch = try Scratch()
        let out = scratch.file("env.txt")
        setenv("ARKANE_CLIENT_SECRET", "s3cr3t", 1)
        defer { unsetenv("ARKANE_CLIENT_SECRET") }
        var sink = try ExecSink(command: "cat > /dev/null; (env; echo pgid=$(cut -d' ' -f5 /proc/$$/stat); echo mine=$(cut -d' ' -f5 /proc/\(getpid())/stat)) > '\(out)'")
        try await sink.open(RunInfo(startedAt: .now(), inputs: [], baseURL: "", concurrency: 1, dryRun: false, toolVersion: "t"))
        try await sink.write(mixedRecords(count: 1)[0])
        try await sink.close(RunSummary(startedAt: .now(), finishedAt: .now(), counts: [:], interrupted: false, abortReason: nil))
        let text = try String(contentsOfFile: out, encoding: .utf8)
        #expect(!text.contains("ARKANE_"))
        #expect(!text.contains("s3cr3t"))
        let lines = text.split(separator: "\n")
        let child = lines.first { $0.hasPrefix("pgid=") }, parent = lines.first { $0.hasPrefix("mine=") }
        #expect(child != nil && parent != nil && child!.dropFirst(5) != parent!.dropFirst(5), "\(child ?? "") vs \(parent ?? "")")
    }
}
