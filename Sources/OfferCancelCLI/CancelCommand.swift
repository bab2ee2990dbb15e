import ArgumentParser
import Foundation
import OfferCancelKit

/// `offer-cancel cancel` (the default): read IDs, cancel them, write records.
struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel the offers named in the inputs (the default command).",
        discussion: """
            Credentials, in order: --token-file, ARKANE_TOKEN, or ARKANE_CLIENT_ID with \
            ARKANE_CLIENT_SECRET (client credentials at --auth-url, refreshed as they expire). \
            Tokens never travel over plain http:// except to loopback.

            Records: a run that sends needs a sink that keeps one record per offer (csv, ndjson, \
            exec) unless --no-records; without --sink they go to stdout, or — when stdout is a \
            terminal — to offer-cancel-DATE-TIME.ndjson in this folder. No file is created or \
            truncated before the whole configuration is valid. If the last record-keeping sink \
            fails, no new request leaves (exit 3).

            Ctrl-C (SIGINT) or SIGTERM stops reading at once and starts nothing new; requests in \
            flight get --grace seconds, then are recorded failed ("may or may not have been \
            applied"); the sinks are flushed and the run exits 130/143. A second signal gives \
            up the requests in flight at once, writes every record in hand and exits.

            --select takes the offers from the API instead of inputs: the filters of `list` \
            choose them, the whole list is read and a plan printed before the first cancel, \
            and more than --confirm-above offers need a "yes" on the terminal or --yes. \
            Records name the source api:/user/offers?…; --dry-run --select shows the plan \
            and records dry_run.
            """
    )

    @OptionGroup(title: "Input") var input: InputOptions
    @OptionGroup(title: "API") var api: APIOptions
    @OptionGroup(title: "Behaviour") var behaviour: BehaviourOptions
    @OptionGroup(title: "Output") var output: OutputOptions
    @OptionGroup(title: "Select offers from the API") var selection: SelectOptions

    func validate() throws {
        if selection.select, !input.inputs.isEmpty {
            throw ValidationError("--select takes the offers from the API: name no input (\(input.inputs.joined(separator: " ")))")
        }
        if let typo = input.inputs.first, !FileManager.default.fileExists(atPath: typo), let meant = Self.subcommand(near: typo) {
            throw ValidationError("\(typo): no such file; did you mean `offer-cancel \(meant)`?")
        }
    }

    /// The subcommand one or two edits away from `word` (a mistyped `cancle`), if any.
    static func subcommand(near word: String) -> String? {
        let names = OfferCancelCommand.configuration.subcommands.compactMap { $0.configuration.commandName }
        return names.first { name in name != word && editDistance(Array(word.lowercased()), Array(name)) <= 2 && word.count >= 4 }
    }

    /// Levenshtein distance, for the few short words above.
    private static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in 1...max(b.count, 1) where !b.isEmpty {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return row[b.count]
    }

    func run() async throws {
        ignoreBrokenPipes()  // a closed stdout or exec pipe is an error to report, not death
        let console = Console()
        if !selection.select, input.inputs.isEmpty || input.inputs == ["-"], console.stdinIsTerminal {
            console.note("reading offer IDs from the terminal; end with Ctrl-D (see --help for files)")
        }
        // Everything is checked before anything on disk is created or truncated: inputs, the
        // resume log, every sink's target (claimed by identity), credentials, the client.
        var context = try await setUp(console) { try sinkContext(console) }
        let reading = try await setUp(console) { try inputOptions(context.targets) }
        // --select lists its offers once the client exists; files are opened now.
        let files: IDSource? = selection.select ? nil : try await setUp(console) { try IDSource.open(input.inputs, options: reading) }
        for note in files?.notes ?? [] { console.note(note) }
        let recordLog = output.sinks.isEmpty && console.stdoutIsTerminal && !output.noRecords ? RunLog.named(at: .now()) : nil
        var hub = try await setUp(console) { try makeSinks(console, context: &context, recordLog: recordLog) }
        if !behaviour.dryRun, !output.noRecords, !hub.hasRecordKeeper {
            console.note("no sink keeps a record per offer (summary only counts them): add --sink ndjson:+run.ndjson or --sink csv:results.csv, or say --no-records")
            throw ExitCode(2)
        }

        // The market --mock starts stops with this command, whichever way it ends (deinit).
        let mock = api.mock ? try await setUp(console) { try MockMarketProcess() } : nil
        let baseURL = mock?.baseURL ?? api.baseURL
        let client: MarketClient? = behaviour.dryRun && !selection.select ? nil : try await setUp(console) {
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
            if let files { source = files } else { source = try await select(client: client!, options: reading, console: console) }
            status = try await run(source: source, hub: &hub, client: behaviour.dryRun ? nil : client, baseURL: baseURL, recordLog: recordLog, console: console)
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
    private func select(client: MarketClient, options: IDSourceOptions, console: Console) async throws -> IDSource {
        let retry = RetryPolicy(maxAttempts: behaviour.maxAttempts, base: .milliseconds(500), cap: .milliseconds(behaviour.backoffCap),
                                retryAfterCap: .milliseconds(Int64(behaviour.retryAfterCap * 1000)))
        let chosen = try await selection.selection(client: client, retry: retry, console: console)
        try selection.confirm(chosen, dryRun: behaviour.dryRun, console: console)
        return try await setUp(console) { try IDSource.selected(chosen, options: options) }
    }

    /// Opens the sinks, runs the pipeline, and says how it went. Returns the exit status.
    private func run(source: IDSource, hub: inout SinkHub, client: MarketClient?, baseURL: String, recordLog: String?, console: Console) async throws -> Int32 {
        let inputs = selection.select ? [OfferSelection(query: try selection.filters.query()).source] : input.inputs.isEmpty ? ["-"] : input.inputs
        let info = RunInfo(
            startedAt: .now(), inputs: inputs, baseURL: baseURL,
            concurrency: behaviour.concurrency, dryRun: behaviour.dryRun, toolVersion: OfferCancelVersion.current
        )
        if output.verbose {
            console.say("offer-cancel \(OfferCancelVersion.current): \(info.inputs.joined(separator: " ")) → \(baseURL), concurrency " + (behaviour.fixedConcurrency ? "\(behaviour.concurrency) fixed" : "adaptive up to \(behaviour.concurrency)")
                + (behaviour.rate.map { ", rate \($0)" } ?? "") + ", cancels by " + (behaviour.settings.cancelMethod == .auto ? "GET (POST after a 405)" : behaviour.settings.cancelMethod.rawValue) + (input.shard.map { ", shard \($0)" } ?? "") + (behaviour.dryRun ? ", dry run" : "") + "; sinks: \(hub.names.joined(separator: " "))"
                + "; credentials: " + credentialSource(client))
        }
        try await setUp(console) { try await hub.open(info) }

        let control = RunControl()
        let signals = SignalWatcher(control: control, console: console, grace: behaviour.grace)
        let progress = RunProgress()
        let showProgress = output.progress == .always || (output.progress == .auto && !output.quiet && console.stderrIsTerminal)
        var settings = behaviour.settings
        settings.notice = { console.note($0) }
        let pipeline = CancelPipeline(
            mode: client.map { .send($0) } ?? .dryRun, concurrency: behaviour.concurrency, settings: settings,
            maxFailures: behaviour.maxFailures, grace: .milliseconds(Int64(behaviour.grace * 1000)), probe: behaviour.probe
        )
        let reporter = showProgress ? ProgressReporter(progress: progress, governor: client == nil ? nil : pipeline.governor, console: console,
                                                      estimatedTotal: { source.estimatedTotal }) : nil
        reporter?.start()
        let result: RunResult
        do {
            result = try await pipeline.run(source: source, hub: &hub, info: info, control: control, progress: progress)
        } catch {
            await reporter?.finish()
            console.note("input failed: \(error)")
            return 2
        }
        await reporter?.finish()

        let summary = result.summary
        if let reason = summary.abortReason { console.note("aborted: \(reason)") }
        if hub.recordKeepingLost {
            console.note("\(summary.unrecordedActedOn) offers were acted on after the record stream was lost; their outcomes are the \"not recorded\" lines above")
            console.note("to finish the job: \(resumeCommand(log: recordLogPath(recordLog)))")
        }
        if let log = input.resume, !output.quiet {
            let counts = source.resumedByOutcome
            let parts = Outcome.allCases.compactMap { outcome in counts[outcome].map { "\($0) \(outcome.rawValue)" } }
            console.note("resumed from \(log): passed over \(source.resumedCount) items the log settled"
                + (parts.isEmpty ? "" : " (\(parts.joined(separator: ", ")))") + "; --retry-outcomes sends chosen outcomes again")
        }
        if let shard = try? input.selectedShard(), !output.quiet {
            console.note("shard \(shard): passed over \(source.otherShardsCount) items of other shards")
        }
        if let recordLog, !output.quiet { console.note("records: \(recordLog) (continue an unfinished run with --resume \(recordLog))") }
        if let signal = signals.received { return 128 + signal }
        return result.exitStatus
    }

    /// The NDJSON record log of this run, if one of its sinks writes one to a file.
    private func recordLogPath(_ recordLog: String?) -> String? {
        recordLog ?? output.sinks.lazy.compactMap { try? SinkSpec(parsing: $0) }
            .first { $0.scheme == "ndjson" && $0.target.map { $0 != "-" && !$0.isEmpty } == true }?
            .target.map { $0.hasPrefix("+") ? String($0.dropFirst()) : $0 }
    }

    /// The command that finishes this run: from its record log; from the NDJSON it streamed to
    /// stdout, if that was saved; or else the same inputs again with a log (offers already
    /// cancelled answer already_closed).
    private func resumeCommand(log: String?) -> String {
        let inputs = selection.select ? selection.arguments.joined(separator: " ") : input.inputs.isEmpty ? "-" : input.inputs.joined(separator: " ")
        let shard = input.shard.map { " --shard \($0)" } ?? ""
        if let log { return "offer-cancel --resume \(log) --sink ndjson:+\(log)\(shard) \(inputs)" }
        let again = "offer-cancel --sink ndjson:run.ndjson\(shard) \(inputs)"
        let streamed = output.sinks.isEmpty || output.sinks.contains { (try? SinkSpec(parsing: $0)).map { $0.scheme == "ndjson" && $0.target == "-" } == true }
        guard streamed else {
            return again + " (this run kept no NDJSON log to --resume from: run the inputs again with one; offers it cancelled answer already_closed)"
        }
        return "offer-cancel --resume LOG --sink ndjson:+LOG\(shard) \(inputs), LOG being the NDJSON this run wrote to stdout; "
            + "if it was not kept: \(again) (offers it cancelled answer already_closed)"
    }

    /// Runs a set-up step; its failure is a configuration error: one line, exit 2.
    @discardableResult
    private func setUp<T>(_ console: Console, _ body: () async throws -> T) async throws -> T {
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

    private func sinkContext(_ console: Console) throws -> SinkContext {
        var context = SinkContext()
        context.csvColumns = output.csvColumns.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        context.includeOffer = output.includeOffer
        context.overwrite = output.overwrite
        context.stderrIsTerminal = console.stderrIsTerminal
        context.stderr = { console.write($0) }
        context.noColor = !Console.allowsColour()
        for option in output.sinkOptions {
            let parts = option.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { throw SinkSpecError("--sink-option \(option): expected KEY=VALUE") }
            context.options[String(parts[0])] = String(parts[1])
        }
        return context
    }

    /// The sinks the flags name, or the defaults: the records to stdout when it is not a
    /// terminal, else to `recordLog`. The text summary goes to stderr unless `-q` or a
    /// `summary` sink is named (naming other sinks used to drop it silently). Touches no file.
    private func makeSinks(_ console: Console, context: inout SinkContext, recordLog: String?) throws -> SinkHub {
        var specs = try output.sinks.map { try SinkSpec(parsing: $0) }
        if output.sinks.isEmpty {
            if let recordLog {
                specs.append(SinkSpec(scheme: "ndjson", target: recordLog))
            } else if !console.stdoutIsTerminal && !output.noRecords {
                specs.append(SinkSpec(scheme: "ndjson", target: "-"))
            }
        }
        if !output.quiet, !specs.contains(where: { $0.scheme == "summary" }) { specs.append(SinkSpec(scheme: "summary")) }
        let registry = OfferCancelCommand.registry
        var sinks: [(name: String, sink: any OfferSink)] = try specs.map { ($0.description, try registry.makeSink($0, context: context)) }
        if output.verbose { sinks.append(("verbose", VerboseSink(console: console))) }
        return SinkHub(sinks, report: console.note)
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

/// The record log a terminal run writes when no sink is named.
enum RunLog {
    /// `offer-cancel-YYYYMMDD-HHMMSS.ndjson` (UTC), in the working directory.
    static func named(at time: Timestamp) -> String {
        let stamp = time.rfc3339.prefix(19).replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: "").replacingOccurrences(of: "T", with: "-")
        return "offer-cancel-\(stamp).ndjson"
    }
}
