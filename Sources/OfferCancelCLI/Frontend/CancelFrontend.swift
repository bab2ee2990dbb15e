import ArgumentParser
import Foundation
import OfferCancelKit
import RunMetrics

/// The cancel run (and `verify`'s, whose inputs are record logs), in its set-up order: every
/// input, the resume log, every sink's target (claimed by identity), the credentials and the
/// client are checked before anything on disk is created or truncated; then the market
/// (`--mock`), the run, and the lines after it. A set-up step that fails is one line and
/// exit 2 (``setUp(_:)``).
struct CancelFrontend {
    let input: InputOptions
    let api: APIOptions
    let behaviour: BehaviourOptions
    let output: OutputOptions
    let selection: SelectOptions
    /// How cancels are sent and confirmed; `nil` for `offer-cancel verify`, whose inputs are
    /// record logs and whose offers are read, not cancelled (``CancelPipeline/Mode/verify(_:)``).
    let sending: CancelSendingOptions?
    let console = Console()

    init(_ command: CancelCommand) {
        (input, api, behaviour, sending, output, selection) = (command.input, command.api, command.behaviour, command.sending, command.output, command.selection)
    }

    init(_ command: VerifyCommand) throws {
        (input, api, behaviour, sending, output) = (try command.input(), command.api, command.behaviour, nil, command.output)
        selection = try SelectOptions.parse([])
    }

    var verifies: Bool { sending == nil }

    /// The run's settings: the behaviour options, and the sending options of a cancel run.
    var settings: CancelSettings {
        var settings = behaviour.settings
        sending?.apply(to: &settings, concurrency: behaviour.concurrency)
        return settings
    }

    func run() async throws {
        ignoreBrokenPipes()  // a closed stdout or exec pipe is an error to report, not death
        if !selection.select, input.inputs.isEmpty || input.inputs == ["-"], console.stdinIsTerminal {
            console.note("reading offer IDs from the terminal; end with Ctrl-D (see --help for files)")
        }
        // Everything is checked before anything on disk is created or truncated: inputs, the
        // resume log, every sink's target (claimed by identity), credentials, the client.
        var context = try await setUp { try sinkContext() }
        let reading = try await setUp { try inputOptions(context.targets) }
        // --select lists its offers once the client exists; files are opened now.
        let files: IDSource? = selection.select ? nil : try await setUp {
            verifies ? try IDSource.cancelled(inLogs: input.inputs, options: reading) : try IDSource.open(input.inputs, options: reading)
        }
        for note in files?.notes ?? [] { console.note(note) }
        let recordLog = output.sinks.isEmpty && console.stdoutIsTerminal && !output.noRecords ? RunLog.named(at: .now()) : nil
        let metrics = try await setUp { try await makeMetricsExporter(targets: context.targets) }
        var hub = try await setUp { try makeSinks(context: &context, recordLog: recordLog, metrics: metrics?.metrics) }
        if !behaviour.dryRun, !output.noRecords, !hub.hasRecordKeeper {
            console.note("no sink keeps a record per offer (summary only counts them): add --sink ndjson:+run.ndjson or --sink csv:results.csv, or say --no-records")
            throw ExitCode(2)
        }

        // The market --mock starts stops with this command, whichever way it ends (deinit).
        let mock = api.mock ? try await setUp { try MockMarketProcess() } : nil
        let baseURL = mock?.baseURL ?? api.baseURL
        let client: MarketClient? = behaviour.dryRun && !selection.select ? nil : try await setUp {
            try MarketClient(
                baseURL: baseURL,
                credentials: try api.credentials(),
                concurrency: behaviour.concurrency,
                timeout: .milliseconds(Int64(behaviour.timeout * 1000)),
                caCertificates: api.cacert
            )
        }
        // From here every way out shuts the client down first, then the market.
        let status: Int32
        do {
            let source: IDSource
            if let files { source = files } else { source = try await select(client: client!, options: reading) }
            status = try await execute(source: source, hub: &hub, client: behaviour.dryRun ? nil : client, baseURL: baseURL, recordLog: recordLog, metrics: metrics)
        } catch {
            await client?.shutdown()
            mock?.stop()
            throw error
        }
        await client?.shutdown()
        mock?.stop()
        throw ExitCode(status)
    }

    /// The offers `--select` chooses, listed whole, shown as a plan and confirmed, as the run's
    /// input. Nothing is created or sent before this returns.
    private func select(client: MarketClient, options: IDSourceOptions) async throws -> IDSource {
        let retry = RetryPolicy(maxAttempts: behaviour.maxAttempts, base: .milliseconds(500), cap: .milliseconds(behaviour.backoffCap),
                                retryAfterCap: .milliseconds(Int64(behaviour.retryAfterCap * 1000)))
        let chosen = try await selection.selection(client: client, retry: retry, console: console)
        try selection.confirm(chosen, dryRun: behaviour.dryRun, console: console)
        return try await setUp { try IDSource.selected(chosen, options: options) }
    }

    /// Opens the sinks, runs the pipeline, and says how it went. Returns the exit status.
    private func execute(source: IDSource, hub: inout SinkHub, client: MarketClient?, baseURL: String, recordLog: String?,
                         metrics: MetricsExporter?) async throws -> Int32 {
        let inputs = selection.select ? [OfferSelection(query: try selection.filters.query()).source] : input.inputs.isEmpty ? ["-"] : input.inputs
        let info = RunInfo(
            startedAt: .now(), inputs: inputs, baseURL: baseURL,
            concurrency: behaviour.concurrency, dryRun: behaviour.dryRun, toolVersion: OfferCancelVersion.current
        )
        if output.verbose {
            console.say("offer-cancel \(OfferCancelVersion.current): \(info.inputs.joined(separator: " ")) → \(baseURL), concurrency " + (behaviour.fixedConcurrency ? "\(behaviour.concurrency) fixed" : "adaptive up to \(behaviour.concurrency)")
                + (behaviour.rate.map { ", rate \($0)" } ?? "") + (verifies ? ", reads each offer" : ", cancels by " + (settings.cancelMethod == .auto ? "GET (POST after a 405)" : settings.cancelMethod.rawValue)) + (input.shard.map { ", shard \($0)" } ?? "") + (behaviour.dryRun ? ", dry run" : "") + "; sinks: \(hub.names.joined(separator: " "))"
                + "; credentials: " + credentialSource(client))
        }
        try await setUp { try await hub.open(info) }

        let control = RunControl()
        let signals = SignalWatcher(control: control, console: console, grace: behaviour.grace)
        let progress = RunProgress()
        let showProgress = output.progress == .always || (output.progress == .auto && !output.quiet && console.stderrIsTerminal)
        var settings = self.settings
        settings.notice = { console.note($0) }
        let pipeline = CancelPipeline(
            mode: client.map { verifies ? .verify($0) : .send($0) } ?? .dryRun, concurrency: behaviour.concurrency, settings: settings,
            maxFailures: behaviour.maxFailures, grace: .milliseconds(Int64(behaviour.grace * 1000)), probe: behaviour.probe
        )
        let reporter = showProgress ? ProgressReporter(progress: progress, governor: client == nil ? nil : pipeline.governor, console: console,
                                                      estimatedTotal: { source.estimatedTotal }) : nil
        reporter?.start()
        let governor = client == nil ? nil : pipeline.governor
        metrics?.start(governor: governor, progress: progress)
        let result: RunResult
        do {
            result = try await pipeline.run(source: source, hub: &hub, info: info, control: control, progress: progress)
        } catch {
            await reporter?.finish()
            await metrics?.finish(governor: governor, progress: progress, control: control)
            console.note("input failed: \(error)")
            return 2
        }
        await reporter?.finish()
        // The lines after the run come first; then the metrics' last sample and linger, which
        // a signal ends without changing the status of a run that ended before it.
        let status = finish(result, source: source, hub: hub, recordLog: recordLog, signals: signals)
        await metrics?.finish(governor: governor, progress: progress, control: control)
        return status
    }

    /// Runs a set-up step; its failure is a configuration error: one line, exit 2.
    @discardableResult
    func setUp<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as ExitCode {
            throw error
        } catch {
            console.note("\(error)")
            throw ExitCode(2)
        }
    }

    /// How the inputs are read and judged; claims the inputs and the resume log as read.
    private func inputOptions(_ targets: SinkTargets) throws -> IDSourceOptions {
        let validator: IDValidator
        do {
            validator = try IDValidator(pattern: input.idPattern)
        } catch {
            throw InputError("--id-pattern \(input.idPattern ?? ""): \(error)")
        }
        var options = IDSourceOptions(validator: validator)
        options.format = input.format
        options.idColumn = input.idColumn
        options.noHeader = input.noHeader
        options.idField = input.idField
        options.dedupe = !input.noDedupe
        options.shard = try input.selectedShard()
        if let log = input.resume {
            options.resume = try ResumeLog(path: log, validator: validator, retrying: try input.retrying())
            targets.claimRead(log, as: .resumeLog)
        }
        for path in input.inputs { targets.claimRead(path, as: .input) }
        return options
    }

    /// Where this run's credentials come from, secrets redacted (for `-v`).
    private func credentialSource(_ client: MarketClient?) -> String {
        guard let client else { return "none (dry run)" }
        return api.mock
            ? "the simulated market's own token (--mock ignores ARKANE_* and --token-file; market: \(MockMarketProcess.locate() ?? "arkane-mock"))"
            : Self.describe(client.tokens.credentials)
    }

    /// Where the credentials come from, secrets redacted (for `-v`).
    static func describe(_ credentials: Credentials) -> String {
        switch credentials {
        case .token: "a bearer token (redacted)"
        case .clientCredentials(let id, _, let authURL): "client \(id) at \(authURL) (secret redacted)"
        }
    }
}
