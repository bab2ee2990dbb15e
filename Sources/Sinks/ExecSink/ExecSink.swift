import Foundation
import AsyncAlgorithms
import JSONStream
import OfferCancelKit
import Subprocess
import Synchronization
import SystemPackage

/// `exec:COMMAND`: the records as NDJSON on the standard input of `/bin/sh -c COMMAND`,
/// whose stdout and stderr are the tool's own — so `exec:'jq -c . > out.ndjson'` works.
///
/// Writes are back-pressured: a slow command slows the run instead of filling memory. If the
/// command dies (or exits non-zero), the sink reports it and is dropped; other sinks go on.
public struct ExecSink: OfferSink {
    public let command: String
    private let includeOffer: Bool
    private var buffer = JSONWriteBuffer(realPrecision: 15)
    private let lines = AsyncChannel<[UInt8]>()
    private let failure = ChildFailure()
    private var child: Task<Int32?, Never>?

    public init(command: String, includeOffer: Bool = false) throws {
        guard !command.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw SinkSpecError("exec needs a command: exec:'COMMAND'")
        }
        self.command = command
        self.includeOffer = includeOffer
    }

    public mutating func open(_ run: RunInfo) async throws {
        let (command, lines, failure) = (command, lines, failure)
        child = Task {
            do {
                let result = try await Subprocess.run(
                    .path("/bin/sh"),
                    arguments: ["-c", command],
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
        if let reason = failure.reason { throw SinkSpecError("command \"\(command)\" \(reason)") }
        buffer.removeAll()
        buffer.append(record.json(includeOffer: includeOffer))
        buffer.append(0x0A)
        await lines.send(buffer.bytes)
        if let reason = failure.reason { throw SinkSpecError("command \"\(command)\" \(reason)") }
    }

    public func close(_ summary: RunSummary) async throws {
        lines.finish()
        _ = await child?.value
        if let reason = failure.reason { throw SinkSpecError("command \"\(command)\" \(reason)") }
    }

    /// Adds the `exec` scheme.
    public static func register(in registry: inout SinkRegistry) {
        registry.register("exec", targetUsage: "COMMAND", help: "NDJSON records piped to /bin/sh -c COMMAND (e.g. exec:'jq -c .')") { spec, context in
            try ExecSink(command: spec.target ?? "", includeOffer: context.includeOffer)
        }
    }
}

private enum ExecSinkError: Error, CustomStringConvertible {
    case stoppedReading
    var description: String { "the command exited while records were still coming" }
}

/// The first reason the child failed, set from its task and read from the sink's.
private final class ChildFailure: Sendable {
    private let state = Mutex<String?>(nil)

    func set(_ reason: String) { state.withLock { if $0 == nil { $0 = reason } } }

    var reason: String? { state.withLock { $0 } }
}
