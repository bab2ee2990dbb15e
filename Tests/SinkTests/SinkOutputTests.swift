import CSVSink
import Foundation
import JSONStream
import NDJSONSink
import OfferCancelKit
import SummarySink
import Testing
import TestSupport

/// What ``SinkOutput`` promises every sink: nothing touched before the run is valid, no file
/// shared, whole lines only.
@Suite struct SinkOutputTests {
    let run = RunInfo(startedAt: .now(), inputs: [], baseURL: "", concurrency: 1, dryRun: false, toolVersion: "t")

    @Test func makingASinkTouchesNoFile() throws {
        let scratch = try Scratch()
        let existing = try scratch.file("results.csv", "yesterday's results\n")
        _ = try CSVSink(target: existing)
        _ = try NDJSONSink(target: existing + ".2", includeOffer: false)
        _ = try SummarySink(style: .json, target: scratch.file("stats.json"))
        #expect(try String(contentsOfFile: existing, encoding: .utf8) == "yesterday's results\n")
        #expect(!FileManager.default.fileExists(atPath: existing + ".2"))
        #expect(!FileManager.default.fileExists(atPath: scratch.file("stats.json")))
    }

    /// How a sink's target may meet the run's other files: `(read as, sink target, allowed)`.
    @Test(arguments: [
        ("input", "SAME", false),
        ("input", "+SAME", false),
        ("resume", "SAME", false),
        ("resume", "+SAME", true),
        ("resume", "+./SAME", true),
        ("sink", "SAME", false),
        ("sink", "./SAME", false),
        ("sink", "LINK", false),
        ("sink", "OTHER", true),
        ("input", "LINK", false),
    ])
    func targetsAreComparedByIdentity(first: String, target: String, allowed: Bool) throws {
        let scratch = try Scratch()
        let same = try scratch.file("same.ndjson", "{}\n")
        try FileManager.default.createSymbolicLink(atPath: scratch.file("link"), withDestinationPath: same)
        let context = SinkContext()
        switch first {
        case "input": context.targets.claimRead(same, as: .input)
        case "resume": context.targets.claimRead(same, as: .resumeLog)
        default: try context.targets.claimWrite(same, for: "csv:\(same)", appending: false)
        }
        let path = target.replacingOccurrences(of: "SAME", with: same).replacingOccurrences(of: "LINK", with: scratch.file("link"))
            .replacingOccurrences(of: "OTHER", with: scratch.file("other.ndjson")).replacingOccurrences(of: "./" + same, with: scratch.path + "/./same.ndjson")
        if allowed {
            _ = try SinkOutput(target: path, scheme: "ndjson", context: context)
        } else {
            #expect(throws: SinkSpecError.self) { try SinkOutput(target: path, scheme: "ndjson", context: context) }
        }
        #expect(try String(contentsOfFile: same, encoding: .utf8) == "{}\n", "nothing was written")
    }

    @Test func twoSinksOnStdoutCollide() throws {
        let context = SinkContext()
        _ = try SinkOutput(target: "-", scheme: "ndjson", context: context)
        #expect(throws: SinkSpecError.self) { try SinkOutput(target: nil, scheme: "csv", context: context) }
    }

    @Test func aNewFileInAMissingFolderIsASetUpError() {
        #expect(throws: SinkSpecError.self) { try SinkOutput(target: "/no/such/folder/x.ndjson", scheme: "ndjson", context: SinkContext()) }
    }

    /// A log cut off mid-record (a crash of another writer, a disk that filled up) gets its
    /// torn line ended before new records; the resume reader counts it unreadable.
    @Test func appendingAfterATornLineStartsOnANewLine() async throws {
        let scratch = try Scratch()
        let records = mixedRecords(count: 3)
        let log = scratch.file("log.ndjson")
        try await drive([try NDJSONSink(target: log, includeOffer: false)], records: [records[0]])
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"seq":2,"source":"ids.txt","offerId":"00000000-0000-4000-8000-0000"#.utf8))
        try handle.close()
        try await drive([try NDJSONSink(target: "+" + log, includeOffer: false)], records: Array(records[1...]))

        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 5 && lines.last == "", "four lines, each ended: \(lines.count)")
        #expect(lines[1].hasSuffix("8000-0000"), "the torn line is kept, ended")
        for index in [0, 2, 3] { #expect((try? JSONValue.parse(Array(lines[index].utf8))) != nil, "line \(index + 1) is a whole record") }
        let resume = try ResumeLog(path: log, validator: try IDValidator())
        #expect(resume.unreadableLines == 1)
    }

    /// A real full disk: records that do not fit are not left half-written.
    @Test func aWriteThatFailsHalfWayLeavesOnlyWholeLines() async throws {
        guard let disk = SmallFilesystem(kilobytes: 16) else {
            print("skipped: cannot mount a tmpfs here (needs root)")
            return
        }
        let output = try SinkOutput(target: disk.file("log.ndjson"), scheme: "ndjson", context: SinkContext())
        try output.open()
        let line = Array((String(repeating: "x", count: 997) + "\"}\n").utf8)
        var written = 0
        while written < 100 {
            do { try await output.write(Array("{\"n\":\(written),\"pad\":\"".utf8) + line) } catch { break }
            written += 1
        }
        #expect(written > 0 && written < 100, "the disk filled up after \(written) records")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: disk.file("log.ndjson")))
        #expect(bytes.last == 0x0A, "the file ends on a whole line")
        #expect(bytes.split(separator: 0x0A).count == written)
    }
}

extension SinkOutputTests {
    /// More stalled pipe readers than the pool has threads: if a blocked `write(2)` held a
    /// cooperative thread, nothing else could run. The pool must stay free while they wait.
    @Test func writesToAStalledPipeDoNotHoldThePool() async throws {
        let scratch = try Scratch()
        let count = ProcessInfo.processInfo.activeProcessorCount + 2
        var readers: [Int32] = []
        var paths: [String] = []
        for index in 0..<count {
            let path = scratch.file("fifo\(index)")
            #expect(mkfifo(path, 0o600) == 0)
            readers.append(open(path, O_RDONLY | O_NONBLOCK))  // a reader that never reads (until the end)
            paths.append(path)
        }
        let big = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
        let writes = paths.map { path in
            Task.detached {
                let output = try SinkOutput(target: path, scheme: "ndjson", context: SinkContext())
                try output.open()
                try await output.write(big)
            }
        }
        try await Task.sleep(for: .milliseconds(200))  // every write is now stuck on a full pipe
        let answer = await Task.detached { (1...1000).reduce(0, +) }.value
        #expect(answer == 500_500, "the pool still runs work while the writes wait")
        let drained = readers.map { fd in
            Task.detached { () -> Int in
                var total = 0
                var chunk = [UInt8](repeating: 0, count: 65536)
                while total < (1 << 20) {
                    let got = read(fd, &chunk, chunk.count)
                    if got > 0 { total += got } else { usleep(1000) }
                }
                close(fd)
                return total
            }
        }
        for write in writes { try await write.value }
        for task in drained { #expect(await task.value == 1 << 20) }
    }
}
