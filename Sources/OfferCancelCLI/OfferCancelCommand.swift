import ArgumentParser
import Foundation
import OfferCancelKit

/// The `offer-cancel` command: `cancel` (the default), `list`, `report`, `verify` and `sinks`.
///
/// A custom binary adds its sinks to a registry and hands it over:
///
///     var registry = SinkRegistry.standard
///     MySink.register(in: &registry)
///     await OfferCancelCommand.main(registry: registry)
public struct OfferCancelCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "offer-cancel",
        abstract: "Cancel Arkane/Venly Market offers in bulk, and report one record per offer.",
        discussion: """
            Reads offer IDs from files or stdin, cancels them with bounded parallelism, and writes \
            one record per input item to the sinks you choose. Exit status: 0 every record ok, \
            1 some record failed, 2 usage or configuration error, 3 aborted, 130/143 interrupted.

            Every option of the default command: offer-cancel cancel --help
            Your offers from the API, to choose what to cancel: offer-cancel list --help, \
            or cancel what it lists in one run: offer-cancel --select [filters] (a plan first)
            What record logs say, merged across resumed runs and shards: offer-cancel report --help
            Whether the offers the logs show cancelled are CLOSED now: offer-cancel verify --help
            Examples:
              offer-cancel --mock samples/ids.txt
              ARKANE_TOKEN=… offer-cancel --sink csv:results.csv --sink summary ids.txt
              tail -n +2 export.csv | cut -d, -f3 | offer-cancel --sink ndjson:+log.ndjson -
              offer-cancel --select --contract 0xA457… --dry-run --no-records
            """,
        version: OfferCancelVersion.current,
        subcommands: [CancelCommand.self, ListCommand.self, ReportCommand.self, VerifyCommand.self, SinksCommand.self],
        defaultSubcommand: CancelCommand.self
    )

    /// The sinks this process knows; set by ``main(registry:)`` for the commands to read.
    @TaskLocal static var registry = SinkRegistry.standard

    public init() {}

    /// Parses the process's arguments and runs, with `registry`'s sink schemes available.
    /// Exits the process with the run's status.
    public static func main(registry: SinkRegistry) async -> Never {
        let status = await $registry.withValue(registry) {
            await runMain(CommandLine.arguments.dropFirst().map { $0 })
        }
        terminate(status)
    }

    /// Like ``main(registry:)`` with the built-in sinks only.
    public static func main() async -> Never {
        await main(registry: .standard)
    }

    /// Usage errors exit 2 with one line (ArgumentParser's default would be 64 and a
    /// usage block); `--help` and `--version` exit 0.
    static func runMain(_ arguments: [String]) async -> Int32 {
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return 0
        } catch let code as ExitCode {
            return code.rawValue
        } catch {
            let status = exitCode(for: error)
            if status == .success {
                print(fullMessage(for: error))
                return 0
            }
            Console().error(message(for: error))
            return 2
        }
    }
}

/// Ends the process (stdio flushed) with `status`.
private func terminate(_ status: Int32) -> Never {
    exit(status)
}
