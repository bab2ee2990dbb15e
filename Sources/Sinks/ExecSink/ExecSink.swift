import Foundation
import AsyncAlgorithms
import JSONStream
import OfferCancelKit
import Subprocess
import NIOConcurrencyHelpers
import SystemPackage

/// `exec:COMMAND`: the records as NDJSON on the standard input of `/bin/sh -c COMMAND`,
/// whose stdout and stderr are the tool's own — so `exec:'jq -c . > out.ndjson'` works.
///
/// The command must be found before the run starts (its first word, on `PATH`). It runs in a
/// process group of its own, so a terminal's Ctrl-C reaches the tool, which then finishes and
/// hands the command its last records and end of input; its environment has no `ARKANE_*`
/// variable (no secret reaches it). Writes are back-pressured: a slow command slows the run
/// instead of filling memory. If the command dies (or exits non-zero), the sink reports it
/// and is dropped; if it was the last record-keeping sink, the run stops sending.
public struct ExecSink: OfferSink {
    public let command: String
    private var records: CancelRecord.LineWriter
    private let lines = AsyncChannel<[UInt8]>()
    private let failure = ChildFailure()
    private var child: Task<Int32?, Never>?

    public init(command: String, includeOffer: Bool = false) throws {
        guard !command.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw SinkSpecError("exec needs a command: exec:'COMMAND'")
        }
        if let missing = Self.missingProgram(in: command) {
            throw SinkSpecError("exec:'\(command)': \(missing): command not found")
        }
        self.command = command
        records = CancelRecord.LineWriter(includeOffer: includeOffer)
    }

    /// Every line is a record, handed to the command.
    public var keepsRecords: Bool { true }

    /// The command's first word when it is a program that cannot be found (not a path to an
    /// executable, not on `PATH`); `nil` when it is found or is shell syntax the check leaves
    /// to the shell (a builtin, an assignment, a group).
    static func missingProgram(in command: String, path: String? = ProcessInfo.processInfo.environment["PATH"]) -> String? {
        guard let word = command.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).first.map(String.init),
              !word.contains(where: { "=$`'\"(){};&|<>*?[~\\".contains($0) }),
              !shellBuiltins.contains(word) else { return nil }
        if word.contains("/") { return FileManager.default.isExecutableFile(atPath: word) ? nil : word }
        let folders = (path ?? "/usr/bin:/bin").split(separator: ":", omittingEmptySubsequences: false)
        let found = folders.contains { FileManager.default.isExecutableFile(atPath: "\($0.isEmpty ? "." : String($0))/\(word)") }
        return found ? nil : word
    }

    private static let shellBuiltins: Set<String> = [
        ".", ":", "[", "alias", "break", "case", "cd", "command", "continue", "echo", "eval", "exec", "exit", "export",
        "for", "if", "printf", "read", "readonly", "set", "shift", "test", "trap", "true", "false", "ulimit", "umask",
        "unset", "until", "wait", "while", "!",
    ]

    /// This process's environment without the tool's secrets (`ARKANE_*`).
    static var childEnvironment: Environment {
        let secrets = ProcessInfo.processInfo.environment.keys.filter(Credentials.isSecretVariable)
        return .inherit.updating(Dictionary(uniqueKeysWithValues: secrets.map { (Environment.Key(stringLiteral: $0), String?.none) }))
    }

    public mutating func open(_ run: RunInfo) async throws {
        ignoreBrokenPipes()
        let (command, lines, failure) = (command, lines, failure)
        child = Task {
            do {
                var options = PlatformOptions()
                options.processGroupID = 0  // its own group: a terminal's Ctrl-C is the tool's to handle
                let result = try await Subprocess.run(
                    .path("/bin/sh"),
                    arguments: ["-c", command],
                    environment: Self.childEnvironment,
                    platformOptions: options,
                    input: .inputWriter,
                    output: .currentStandardOutput,
                    error: .currentStandardError
                ) { execution in
                    for await line in lines {
                        // A short write means the command has exited and nothing reads any more.
                        guard try await execution.standardInputWriter.write(line) == line.count else {
                            throw ExecSinkError.stoppedReading
                        }
                    }
                    try await execution.standardInputWriter.finish()
                }
                if case .exited(let code) = result.terminationStatus {
                    if code != 0 { failure.set("exited with status \(code)") }
                    return code
                }
                failure.set("ended by \(result.terminationStatus)")
                return nil
            } catch {
                failure.set("stopped reading its input (\(error))")
                lines.finish()  // release a pending send
                return nil
            }
        }
    }

    public mutating func write(_ record: CancelRecord) async throws {
        try await write(contentsOf: [record])
    }

    /// The batch's lines as one write to the command's input.
    public mutating func write(contentsOf records: [CancelRecord]) async throws {
        if let reason = failure.reason { throw SinkWriteError("command \"\(command)\" \(reason)") }
        await lines.send(self.records.lines(records))
        if let reason = failure.reason { throw SinkWriteError("command \"\(command)\" \(reason)") }
    }

    public func close(_ summary: RunSummary) async throws {
        lines.finish()
        _ = await child?.value
        if let reason = failure.reason { throw SinkWriteError("command \"\(command)\" \(reason)") }
    }

    /// The option that puts the reply's offer object in each record (`--include-offer`).
    public static let includeOfferOption = "exec.include-offer"

    /// Adds the `exec` scheme.
    public static func register(in registry: inout SinkRegistry) {
        registry.register("exec", targetUsage: "COMMAND", help: "NDJSON records piped to /bin/sh -c COMMAND (e.g. exec:'jq -c .')",
                          options: [.init(includeOfferOption, .flag, help: "records carry the reply's whole offer object (--include-offer)")]) { spec, context in
            try ExecSink(command: spec.target ?? "", includeOffer: context.flag(includeOfferOption))
        }
    }
}

private enum ExecSinkError: Error, CustomStringConvertible {
    case stoppedReading
    var description: String { "the command exited while records were still coming" }
}

/// The first reason the child failed, set from its task and read from the sink's.
private final class ChildFailure: Sendable {
    private let state = NIOLockedValueBox<String?>(nil)

    func set(_ reason: String) { state.withLockedValue { if $0 == nil { $0 = reason } } }

    var reason: String? { state.withLockedValue { $0 } }
}
