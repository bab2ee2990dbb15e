import AsyncHTTPClient
import Foundation
import JSONStream
import Testing

/// Every end-to-end suite: each starts real processes. Each suite runs its tests one at a
/// time and names its ``MachineShare``: suites that only wait on their children overlap, two
/// at a time; those whose assertions are timings (rates, in-flight counts) run alone.
@Suite enum EndToEnd {}

/// The built executables, beside the test bundle in the build's products directory — or in
/// `OFFER_CANCEL_BINARIES`, to run these tests against another build (an older release, to
/// show a test fails there).
enum Binaries {
    static let directory: URL = {
        if let override = ProcessInfo.processInfo.environment["OFFER_CANCEL_BINARIES"] { return URL(fileURLWithPath: override) }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent()
    }()

    /// The simulated market the tests start: test equipment, not the tool — `OFFER_CANCEL_MOCK`
    /// names another build of it. `.ci/run`'s sanitizer stages run the plain build's, so the
    /// sanitizer's time goes to the tool under test (flow control and reliability under TSan:
    /// 266 s and 298 s of CPU with a sanitized market, 205 s and 233 s with the plain one).
    /// `offer-cancel --mock` still starts the one beside it.
    static func market() throws -> String {
        guard let override = ProcessInfo.processInfo.environment["OFFER_CANCEL_MOCK"] else { return try path("arkane-mock") }
        guard FileManager.default.isExecutableFile(atPath: override) else { throw HarnessError("OFFER_CANCEL_MOCK: \(override) is not an executable") }
        return override
    }

    static func path(_ name: String) throws -> String {
        let path = directory.appendingPathComponent(name).path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw HarnessError("\(path) is missing: run `swift build` before `swift test` (make test does)")
        }
        return path
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The first line a server prints on `pipe` ("listening on http://127.0.0.1:PORT"); `nil`
/// when it exits first.
func readyLine(_ pipe: Pipe) -> String? {
    var line = Data()
    while !line.contains(0x0A) {
        let chunk = pipe.fileHandleForReading.availableData
        guard !chunk.isEmpty else { return nil }
        line.append(chunk)
    }
    return String(decoding: line, as: UTF8.self)
}

/// A market written in Python under `Tests/Fixtures/` (replies arkane-mock would never send),
/// on a free loopback port; it prints "… http://127.0.0.1:PORT" and serves until killed.
final class PythonMarket {
    let process = Process()
    let baseURL: String

    init(_ script: String, arguments: [String] = []) throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/\(script)").path
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", fixture] + arguments
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        guard let line = readyLine(out) else {
            kill(process.processIdentifier, SIGKILL)
            throw HarnessError("\(script) did not start")
        }
        baseURL = line.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
    }

    // SIGKILL: a child started from a test thread inherits its blocked signals, SIGTERM among them.
    deinit {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

/// `arkane-mock` as a child process on a free loopback port.
final class MockProcess {
    let process = Process()
    let port: Int
    /// `http://127.0.0.1:PORT`, or `https://…` when the market serves TLS.
    let baseURL: String

    init(_ arguments: [String] = []) throws {
        process.executableURL = URL(fileURLWithPath: try Binaries.market())
        process.arguments = ["--port", "0"] + arguments
        let stdout = Pipe()
        process.standardOutput = stdout
        try process.run()
        // The ready line: "listening on http://127.0.0.1:PORT".
        guard let text = readyLine(stdout) else { throw HarnessError("arkane-mock exited before it was ready") }
        guard let portText = text.split(separator: ":").last?.prefix(while: \.isNumber), let port = Int(portText) else {
            throw HarnessError("unexpected ready line: \(text)")
        }
        self.port = port
        baseURL = (text.contains("https://") ? "https" : "http") + "://127.0.0.1:\(port)"
    }

    deinit {
        process.interrupt()
        // A stalled request holds a graceful shutdown for as long as it stalls: wait a little, then kill.
        let deadline = Date().addingTimeInterval(3)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    func stats() async throws -> JSONValue {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: baseURL + "/__mock/stats"), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 64 << 20)
        return try JSONValue.parse(Array(body.readableBytesView))
    }
}

/// One run of the `offer-cancel` binary.
struct CancelRun {
    var status: Int32
    var stdout: Data
    var stderr: String

    /// The NDJSON records on stdout.
    func records() throws -> [JSONValue] {
        let path = NSTemporaryDirectory() + "records-\(UUID().uuidString).ndjson"
        try stdout.write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let reader = NDJSONReader(input: try ByteInput(path: path), maxLineLength: 1 << 20)
        var records: [JSONValue] = []
        while let item = try reader.next() { records.append(try item.value.get()) }
        return records
    }

    /// Runs the binary to its end; with `signal`, sends it that signal after `signalAfter`, or, with
    /// `signalWhen`, as soon as that holds (polled; a slow machine, under a sanitizer, starts late).
    static func run(_ arguments: [String], environment: [String: String] = ["ARKANE_TOKEN": "mock-token"], stdin: Data? = nil,
                    signal: Int32? = nil, signalAfter: Duration = .seconds(1), signalWhen: (() -> Bool)? = nil) throws -> CancelRun {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Binaries.path("offer-cancel"))
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ARKANE_") }
        env.merge(environment) { $1 }
        process.environment = env
        let out = NSTemporaryDirectory() + "out-\(UUID().uuidString)", err = out + ".err"
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: out)
            try? FileManager.default.removeItem(atPath: err)
        }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
        let input = Pipe()
        process.standardInput = stdin == nil ? FileHandle.nullDevice : input
        try process.run()
        if let stdin {
            input.fileHandleForWriting.write(stdin)
            try input.fileHandleForWriting.close()
        }
        if let signal {
            if let signalWhen {
                let deadline = Date().addingTimeInterval(120)
                while !signalWhen() && process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
            } else {
                Thread.sleep(forTimeInterval: Double(signalAfter.components.seconds) + Double(signalAfter.components.attoseconds) / 1e18)
            }
            kill(process.processIdentifier, signal)
        }
        process.waitUntilExit()
        return CancelRun(
            status: process.terminationStatus,
            stdout: try Data(contentsOf: URL(fileURLWithPath: out)),
            stderr: try String(contentsOfFile: err, encoding: .utf8)
        )
    }
}

/// A file of `count` distinct UUIDs (and optional extra lines), removed on deinit.
final class IDFile {
    let path: String
    let ids: [String]

    init(count: Int, extraLines: [String] = [], salt: Int = 0, name: String = "ids.txt") throws {
        ids = (0..<count).map { String(format: "%08x-%04x-4000-8000-%012x", salt, $0 >> 16, $0) }
        path = NSTemporaryDirectory() + "e2e-\(UUID().uuidString)-\(name)"
        try (ids + extraLines).joined(separator: "\n").appending("\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// How many whole lines the file at `path` holds now (0 when it does not exist yet).
func lineCount(_ path: String) -> Int {
    (FileManager.default.contents(atPath: path) ?? Data()).reduce(0) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
}

func outcomeCounts(_ records: [JSONValue]) -> [String: Int] {
    records.reduce(into: [:]) { $0[$1["outcome"]?.string ?? "?", default: 0] += 1 }
}

/// The `offer-cancel` binary running in the background, watched while it runs: its output
/// files can be read and signals sent before it ends.
final class LiveRun {
    let process = Process()
    let out = NSTemporaryDirectory() + "live-\(UUID().uuidString).out"
    var err: String { out + ".err" }

    /// Foundation starts the child as the leader of a process group of its own (as a shell
    /// starts a job), so ``signalGroup(_:)`` reaches it and every child that stays in its group.
    /// - Parameter stdin: the child's standard input (`nil`: /dev/null).
    init(_ arguments: [String], environment: [String: String] = ["ARKANE_TOKEN": "mock-token"], stdin: FileHandle? = nil) throws {
        process.executableURL = URL(fileURLWithPath: try Binaries.path("offer-cancel"))
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ARKANE_") }
        env.merge(environment) { $1 }
        process.environment = env
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
        process.standardInput = stdin ?? FileHandle.nullDevice
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(atPath: out)
        try? FileManager.default.removeItem(atPath: err)
    }

    /// Whole lines written to stdout so far.
    var stdoutLines: [Substring] {
        let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").dropLast(text.hasSuffix("\n") ? 0 : 1).map { $0 }
    }

    var stderr: String { (try? String(contentsOfFile: err, encoding: .utf8)) ?? "" }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Signals its whole process group, as a terminal's Ctrl-C does.
    func signalGroup(_ number: Int32) {
        precondition(getpgid(process.processIdentifier) == process.processIdentifier, "the child leads its own process group")
        kill(-process.processIdentifier, number)
    }

    /// Waits until `condition` holds or `seconds` pass; returns whether it held.
    @discardableResult
    func wait(upTo seconds: Double, until condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            if Date() > deadline { return false }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return true
    }

    /// Waits for the process to end, at most `seconds`; returns how long it took, `nil` if it did not end.
    func waitForExit(upTo seconds: Double) -> Double? {
        let start = Date()
        guard wait(upTo: seconds, until: { !process.isRunning }) else { return nil }
        process.waitUntilExit()
        return Date().timeIntervalSince(start)
    }

    var status: Int32 { process.terminationStatus }
}

/// Runs `script` with bash (`set -o pipefail` off), the binaries' folder first on PATH.
func shell(_ script: String, environment: [String: String] = ["ARKANE_TOKEN": "mock-token"]) throws -> (status: Int32, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = ["-c", script]
    var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ARKANE_") }
    env.merge(environment) { $1 }
    env["PATH"] = Binaries.directory.path + ":" + (env["PATH"] ?? "/usr/bin:/bin")
    process.environment = env
    let err = Pipe()
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, text)
}

/// A port nobody listens on now, from the kernel (bound to port 0, then closed).
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw HarnessError("socket: \(errno)") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw HarnessError("bind: \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}
