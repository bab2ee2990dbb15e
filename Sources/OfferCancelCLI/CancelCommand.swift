import ArgumentParser
import Foundation
import MockMarket
import OfferCancelKit

/// `offer-cancel cancel` (the default): read IDs, cancel them, write records.
struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel the offers named in the inputs (the default command).",
        discussion: """
            Credentials, in order: --token-file, ARKANE_TOKEN, or ARKANE_CLIENT_ID with \
            ARKANE_CLIENT_SECRET (client credentials at --auth-url, refreshed as they expire). \
            Tokens never travel over plain http:// except to loopback. Ctrl-C stops reading, lets \
            requests in flight finish, flushes the sinks and exits 130 (a second Ctrl-C exits at once).
            """
    )

    @OptionGroup(title: "Input") var input: InputOptions
    @OptionGroup(title: "API") var api: APIOptions
    @OptionGroup(title: "Behaviour") var behaviour: BehaviourOptions
    @OptionGroup(title: "Output") var output: OutputOptions

    func run() async throws {
        signal(SIGPIPE, SIG_IGN)  // a closed stdout or exec pipe is an error to report, not death
        let console = Console()
        if (input.inputs.isEmpty || input.inputs == ["-"]) && isatty(STDIN_FILENO) == 1 {
            console.say("offer-cancel: reading offer IDs from the terminal; end with Ctrl-D (see --help for files)")
        }
        let source = try await setUp(console) { try openInputs() }
        var hub = try await setUp(console) { try makeSinks(console) }

        let mock = api.mock ? MockMarketServer(configuration: .demo) : nil
        if let mock { try await mock.start() }
        let baseURL = mock?.baseURL ?? api.baseURL
        let client: MarketClient? = behaviour.dryRun ? nil : try await setUp(console) {
            try MarketClient(
                baseURL: baseURL,
                credentials: try credentials(mock: mock),
                concurrency: behaviour.concurrency,
                timeout: .milliseconds(Int64(behaviour.timeout * 1000))
            )
        }

        let info = RunInfo(
            startedAt: .now(), inputs: input.inputs.isEmpty ? ["-"] : input.inputs, baseURL: baseURL,
            concurrency: behaviour.concurrency, dryRun: behaviour.dryRun, toolVersion: OfferCancelVersion.current
        )
        if output.verbose {
            console.say("offer-cancel \(OfferCancelVersion.current): \(info.inputs.joined(separator: " ")) → \(baseURL), concurrency \(behaviour.concurrency)"
                + (behaviour.rate.map { ", rate \($0)" } ?? "") + (behaviour.dryRun ? ", dry run" : ""))
        }
        try await setUp(console) { try await hub.open(info) }

        let stop = StopSignal()
        let signals = SignalWatcher(stop: stop, console: console)
        let progress = RunProgress()
        let showProgress = output.progress == .always || (output.progress == .auto && !output.quiet && console.stderrIsTerminal)
        let reporter = showProgress ? ProgressReporter(progress: progress, console: console) : nil
        reporter?.start()

        let pipeline = CancelPipeline(client: client, concurrency: behaviour.concurrency, settings: behaviour.settings, maxFailures: behaviour.maxFailures)
        let result: RunResult
        do {
            result = try await pipeline.run(source: source, hub: &hub, info: info, stop: stop, progress: progress)
        } catch {
            await reporter?.finish()
            console.say("offer-cancel: input failed: \(error)")
            throw ExitCode(2)
        }
        await reporter?.finish()
        await client?.shutdown()
        await mock?.shutdown()

        if let reason = result.summary.abortReason { console.say("offer-cancel: aborted: \(reason)") }
        if let log = input.resume, !output.quiet {
            console.say("offer-cancel: resumed from \(log): \(source.resumedCount) items with settled IDs were not sent again")
        }
        if let signal = signals.received { throw ExitCode(128 + signal) }
        throw ExitCode(result.exitStatus)
    }

    /// Runs a set-up step; its failure is a configuration error: one line, exit 2.
    private func setUp<T>(_ console: Console, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as ExitCode {
            throw error
        } catch {
            console.say("offer-cancel: \(error)")
            throw ExitCode(2)
        }
    }

    private func openInputs() throws -> IDSource {
        let validator: IDValidator
        do {
            validator = try IDValidator(pattern: input.idPattern)
        } catch {
            throw InputError("--id-pattern \(input.idPattern ?? ""): \(error)")
        }
        var options = IDSourceOptions(validator: validator)
        options.format = input.format
        options.idColumn = input.idColumn
        options.idField = input.idField
        options.dedupe = !input.noDedupe
        if let log = input.resume {
            // Read before the sinks open: `--sink ndjson:LOG` would truncate it.
            options.resume = try ResumeLog(path: log, validator: validator)
        }
        return try IDSource.open(input.inputs, options: options)
    }

    private func makeSinks(_ console: Console) throws -> SinkHub {
        var context = SinkContext()
        context.csvColumns = output.csvColumns.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        context.includeOffer = output.includeOffer
        context.stderrIsTerminal = console.stderrIsTerminal
        context.noColor = ProcessInfo.processInfo.environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        for option in output.sinkOptions {
            let parts = option.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { throw SinkSpecError("--sink-option \(option): expected KEY=VALUE") }
            context.options[String(parts[0])] = String(parts[1])
        }
        var specs = try output.sinks.map { try SinkSpec(parsing: $0) }
        if output.sinks.isEmpty {
            if !console.stdoutIsTerminal { specs.append(SinkSpec(scheme: "ndjson", target: "-")) }
            if !output.quiet { specs.append(SinkSpec(scheme: "summary")) }
        }
        let registry = OfferCancelCommand.registry
        var sinks: [(name: String, sink: any OfferSink)] = try specs.map { ($0.description, try registry.makeSink($0, context: context)) }
        if output.verbose { sinks.append(("verbose", VerboseSink(console: console))) }
        if sinks.isEmpty { console.say("offer-cancel: note: no sink is set, so records go nowhere (see --sink)") }
        return SinkHub(sinks, report: { console.say("offer-cancel: \($0)") })
    }

    private func credentials(mock: MockMarketServer?) throws -> Credentials {
        let environment = ProcessInfo.processInfo.environment
        if let path = api.tokenFile {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw MarketClientError.configuration("--token-file \(path): cannot read it")
            }
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty else { throw MarketClientError.configuration("--token-file \(path) is empty") }
            return .token(token)
        }
        if let token = environment["ARKANE_TOKEN"], !token.isEmpty { return .token(token) }
        if let id = environment["ARKANE_CLIENT_ID"], let secret = environment["ARKANE_CLIENT_SECRET"], !id.isEmpty, !secret.isEmpty {
            return .clientCredentials(id: id, secret: secret, authURL: mock?.baseURL ?? api.authURL)
        }
        if let mock { return .token(mock.configuration.token) }
        throw MarketClientError.configuration(
            "no credentials: use --token-file, ARKANE_TOKEN, or ARKANE_CLIENT_ID with ARKANE_CLIENT_SECRET (or --mock, or --dry-run)")
    }
}

extension MarketConfiguration {
    /// The market `--mock` runs: every fate, a little latency, and a few faults to retry.
    static var demo: MarketConfiguration {
        var configuration = MarketConfiguration()
        configuration.scenario = .mixed
        configuration.latency = .milliseconds(2)
        configuration.jitter = .milliseconds(8)
        configuration.faults.unavailable = 0.03
        configuration.faults.rateLimited = 0.01
        configuration.retryAfterSeconds = 1
        return configuration
    }
}
