import Foundation
import ArgumentParser
import OfferCancelKit
import RunMetrics

extension InputFormat: ExpressibleByArgument {}

/// Where IDs come from and how they are judged.
struct InputOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("Files of offer IDs; '-' is stdin (the default when none is named).", valueName: "input"))
    var inputs: [String] = []

    @Option(help: "Input format: auto (by extension, then content), lines, csv, ndjson, json.")
    var format: InputFormat = .auto

    @Option(help: ArgumentHelp("CSV column holding the IDs: a header name or a 1-based number (default: id, offerId or offer_id).", valueName: "name|number"))
    var idColumn: String?

    @Flag(help: "CSV inputs have no header row: every row is an offer (the ID in --id-column N, default 1).")
    var noHeader = false

    @Option(help: ArgumentHelp("Dotted path of the ID in NDJSON/JSON objects (default: id, then offerId).", valueName: "path"))
    var idField: String?

    @Option(help: ArgumentHelp("Admit IDs that match this regular expression instead of UUIDs. IDs with / ? # % \\, whitespace, control bytes or '..' are always invalid.", valueName: "regex"))
    var idPattern: String?

    @Flag(help: "Send repeated IDs again instead of recording them as duplicate.")
    var noDedupe = false

    @Option(help: ArgumentHelp(
        "Continue an earlier run from its record log (NDJSON or CSV): IDs it shows cancelled, already_closed, not_found, forbidden or not_cancellable are not sent again and get no new record (nor, with the same inputs, its invalid_id and duplicate items). Pair it with --sink ndjson:+LOG (or csv:+LOG) to keep one log.",
        valueName: "log"))
    var resume: String?

    @Option(help: ArgumentHelp("With --resume: send IDs the log settled with these outcomes again (comma list of cancelled, already_closed, not_found, forbidden, not_cancellable).", valueName: "outcomes"))
    var retryOutcomes: String?

    @Option(help: ArgumentHelp(
        "Keep only the items of shard K of N, by a stable hash of each ID: N runs, K = 1 to N, each with its own credentials and record log, cover the input exactly once.",
        valueName: "K/N"))
    var shard: String?

    func validate() throws {
        if retryOutcomes != nil && resume == nil { throw ValidationError("--retry-outcomes needs --resume LOG") }
        _ = try retrying()
        _ = try selectedShard()
    }

    /// The shard `--shard` names, if any.
    func selectedShard() throws -> Shard? {
        guard let shard else { return nil }
        guard let selected = Shard(shard) else {
            throw ValidationError("--shard \(shard): expected K/N with 1 ≤ K ≤ N ≤ 1000000, for example 2/4")
        }
        return selected
    }

    /// The outcomes `--retry-outcomes` names.
    func retrying() throws -> Set<Outcome> {
        guard let retryOutcomes else { return [] }
        var outcomes = Set<Outcome>()
        for name in retryOutcomes.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
            guard let outcome = Outcome(rawValue: name), ResumeLog.settledOutcomes.contains(outcome) else {
                throw ValidationError("--retry-outcomes: \(name) is not a settled outcome (\(ResumeLog.settledOutcomes.map(\.rawValue).joined(separator: ", ")))")
            }
            outcomes.insert(outcome)
        }
        return outcomes
    }
}

/// Which API, and who we are to it.
struct APIOptions: ParsableArguments {
    @Option(name: .customLong("base-url"), help: ArgumentHelp("The Market API (default: https://api.arkane.market).", valueName: "url"))
    var baseURLOption: String?

    /// The Market API's URL, `--base-url` or the default.
    var baseURL: String { baseURLOption ?? "https://api.arkane.market" }

    @Option(help: ArgumentHelp("The login server for client credentials (ARKANE_CLIENT_ID, ARKANE_CLIENT_SECRET).", valueName: "url"))
    var authURL = "https://login.arkane.network"

    @Option(help: ArgumentHelp("Read the bearer token from this file (else ARKANE_TOKEN, else client credentials).", valueName: "path"))
    var tokenFile: String?

    @Option(help: ArgumentHelp("Trust the CA certificates in this PEM file as well as the system's (a private or test CA). Certificates are always verified.", valueName: "path"))
    var cacert: String?

    @Flag(help: "Run against the simulated market: the arkane-mock beside offer-cancel (or on PATH), started on a free loopback port and stopped at the end (a mix of every outcome).")
    var mock = false

    func validate() throws {
        if mock, let baseURLOption { throw ValidationError("--mock runs a market of its own: drop --base-url \(baseURLOption)") }
        for (option, url) in [("--base-url", baseURL), ("--auth-url", authURL)] {
            do {
                _ = try MarketURL(url)
            } catch {
                throw ValidationError("\(option) \(url): \(error)")
            }
        }
    }
}

/// How hard and how carefully to go.
struct BehaviourOptions: ParsableArguments {
    @Option(name: [.customShort("c"), .long], help: "Requests in flight at most: the ceiling of the adaptive limit, which starts at 8 and grows while replies stay healthy (exactly this many with --fixed-concurrency).")
    var concurrency = 64

    @Option(help: ArgumentHelp("Requests per second (N, N/s) or per minute (N/m) at most, across the run: a hard ceiling over the rate learned from 429s.", valueName: "rate"))
    var rate: String?

    @Flag(help: "The first release's flow control: exactly -c requests in flight, no adaptive concurrency or rate, no run-wide pause, no retry budget or circuit breaker (each request backs off on its own). The defaults already tell random 429s/503s from a limit.")
    var fixedConcurrency = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Seconds to wait for a reply before it counts as a timeout.", valueName: "seconds"))
    var timeout = 30.0

    @Option(help: "Requests per ID at most, retries included (retries: 429, 5xx, timeouts, connection errors).")
    var maxAttempts = 5

    @Option(help: ArgumentHelp("Backoff base in milliseconds (full jitter, doubling per attempt).", valueName: "ms"))
    var backoffBase = 200

    @Option(help: ArgumentHelp("Longest backoff in milliseconds.", valueName: "ms"))
    var backoffCap = 10_000

    @Option(parsing: .unconditional, help: ArgumentHelp("Longest Retry-After honoured, in seconds.", valueName: "seconds"))
    var retryAfterCap = 60.0

    @Option(help: ArgumentHelp("Abort (exit 3) after this many failed records; IDs not yet sent become skipped.", valueName: "n"))
    var maxFailures: Int?

    @Flag(help: "Send nothing; record every valid ID as dry_run.")
    var dryRun = false

    @Option(help: ArgumentHelp("Stop (exit 3) when this many replies in a row fail the same way — a wrong --base-url or account, an API that is down — or this many requests in a row get no reply at all over two --timeouts; 0 turns it off.", valueName: "n"))
    var probe = 20

    @Option(parsing: .unconditional, help: ArgumentHelp("After Ctrl-C or SIGTERM (or the last record-keeping sink lost), seconds that requests in flight get to finish before they are given up and recorded failed.", valueName: "seconds"))
    var grace = 10.0

    func validate() throws {
        for (name, value, zero) in [("--timeout", timeout, false), ("--retry-after-cap", retryAfterCap, true), ("--grace", grace, true)] {
            try checkSeconds(value, option: name, zeroAllowed: zero)
        }
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        guard maxAttempts >= 1 else { throw ValidationError("--max-attempts must be at least 1") }
        guard (0...86_400_000).contains(backoffBase), (0...86_400_000).contains(backoffCap) else {
            throw ValidationError("--backoff-base and --backoff-cap: 0 to 86400000 ms")
        }
        if let maxFailures, maxFailures < 1 { throw ValidationError("--max-failures must be at least 1") }
        guard probe >= 0 else { throw ValidationError("--probe must not be negative (0 turns it off)") }
        if let rate, RateText.perSecond(rate) == nil { throw ValidationError("--rate \(rate): expected N, N/s or N/m with N > 0") }
    }

    var settings: CancelSettings {
        var settings = CancelSettings()
        settings.retry = RetryPolicy(
            maxAttempts: maxAttempts,
            base: .milliseconds(backoffBase),
            cap: .milliseconds(backoffCap),
            retryAfterCap: .milliseconds(Int64(retryAfterCap * 1000))
        )
        settings.flow.rateCeiling = rate.flatMap(RateText.perSecond)
        settings.flow.fixed = fixedConcurrency
        settings.flow.retryAfterCap = .milliseconds(Int64(retryAfterCap * 1000))
        return settings
    }
}

/// How cancels are sent and confirmed: `cancel`'s alone (`verify` sends none).
struct CancelSendingOptions: ParsableArguments {
    @Option(help: ArgumentHelp("How cancels are sent: auto (GET, as the seed page documents, switching the whole run to POST, as the later documentation does, at the first 405), GET or POST (pinned).", valueName: "auto|GET|POST"))
    var cancelMethod = "auto"

    @Flag(help: "After each accepted cancel, poll the offer until it is CLOSED (see --confirm-timeout).")
    var confirm = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Seconds to wait for CLOSED with --confirm.", valueName: "seconds"))
    var confirmTimeout = 30.0

    @Option(help: ArgumentHelp("Confirmation polls in flight at most with --confirm (default: a quarter of --concurrency, at least 1). Offers waiting for CLOSED hold no slot.", valueName: "n"))
    var confirmConcurrency: Int?

    func validate() throws {
        try checkSeconds(confirmTimeout, option: "--confirm-timeout", zeroAllowed: false)
        if let confirmConcurrency, confirmConcurrency < 1 { throw ValidationError("--confirm-concurrency must be at least 1") }
        guard CancelMethodPolicy(argument: cancelMethod) != nil else { throw ValidationError("--cancel-method \(cancelMethod): expected auto, GET or POST") }
    }

    /// `settings` with these options, for a run of at most `concurrency` requests in flight.
    func apply(to settings: inout CancelSettings, concurrency: Int) {
        settings.confirm = confirm
        settings.cancelMethod = CancelMethodPolicy(argument: cancelMethod) ?? .auto
        settings.confirmTimeout = .milliseconds(Int64(confirmTimeout * 1000))
        settings.confirmConcurrency = confirmConcurrency ?? max(1, concurrency / 4)
    }
}

/// One message per option of seconds, naming the range, whatever was wrong (-1, nan, inf, 1e9).
private func checkSeconds(_ value: Double, option: String, zeroAllowed: Bool) throws {
    guard value.isFinite, zeroAllowed ? value >= 0 : value > 0, value <= 86_400 else {
        throw ValidationError("\(option) \(value): seconds, \(zeroAllowed ? "0" : "more than 0") to 86400")
    }
}

/// When to draw the progress line.
enum ProgressMode: String, ExpressibleByArgument, CaseIterable {
    case auto, always, never
}

/// Where records go and what people see.
struct OutputOptions: ParsableArguments {
    @Option(name: .customLong("sink"), help: ArgumentHelp(
        "Where records go: SCHEME[:TARGET], repeatable (csv:out.csv, ndjson:-, ndjson:+log.ndjson, summary, summary-json:stats.json, exec:'jq -c .'). Default: ndjson:- when stdout is not a terminal (else a file offer-cancel-DATE-TIME.ndjson here); the text summary goes to stderr unless -q or a summary sink is named. 'offer-cancel sinks' lists the schemes.",
        valueName: "spec"))
    var sinks: [String] = []

    @Option(help: ArgumentHelp("Columns of the csv sink, comma-separated, in order.", valueName: "names"))
    var csvColumns: String?

    @Flag(help: "Let a sink's PATH replace a file that already holds records (without it such a file is refused: use +PATH to add to it).")
    var overwrite = false

    @Flag(help: "NDJSON and exec records also carry the reply's whole offer object.")
    var includeOffer = false

    @Option(help: "Progress line on stderr: auto (when stderr is a terminal), always, never.")
    var progress: ProgressMode = .auto

    @Option(name: .customLong("sink-option"), help: ArgumentHelp("KEY=VALUE for custom sinks, repeatable.", valueName: "key=value"))
    var sinkOptions: [String] = []

    @Flag(help: "Send without keeping a record per offer (no csv, ndjson or exec sink is needed); the summary still counts.")
    var noRecords = false

    @Flag(name: .shortAndLong, help: "No summary or progress unless asked for with --sink or --progress.")
    var quiet = false

    @Flag(name: .shortAndLong, help: "Say more on stderr: the run's settings and every failed record.")
    var verbose = false

    @Option(help: ArgumentHelp("Serve the run's metrics for Prometheus at http://HOST:PORT/metrics while it goes; PORT alone listens on loopback (127.0.0.1), another host only when named (0.0.0.0:9464).", valueName: "[host:]port"))
    var metricsListen: String?

    @Option(help: ArgumentHelp("Rewrite this file with the run's metrics every 5 s and at the end, atomically (node_exporter's textfile collector).", valueName: "path"))
    var metricsTextfile: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("With --metrics-listen: keep serving /metrics this many seconds after the run ends (at most 300), so that a last scrape sees its totals; Ctrl-C ends the wait.", valueName: "seconds"))
    var metricsLinger = 0.0

    /// `--metrics-listen`, parsed.
    var metricsAddress: ListenAddress? {
        get throws {
            guard let metricsListen else { return nil }
            guard let address = ListenAddress(metricsListen) else {
                throw ValidationError("--metrics-listen \(metricsListen): expected [HOST:]PORT, PORT from 0 to 65535 (9464, :9464, 0.0.0.0:9464, [::1]:9464)")
            }
            return address
        }
    }

    func validate() throws {
        if quiet && verbose { throw ValidationError("-q and -v ask for opposite things: choose one") }
        _ = try metricsAddress
        if !(0...300).contains(metricsLinger) { throw ValidationError("--metrics-linger \(metricsLinger): expected 0 to 300 seconds") }
        if metricsLinger > 0, metricsListen == nil { throw ValidationError("--metrics-linger keeps the endpoint of --metrics-listen: add --metrics-listen") }
        if noRecords, let keeping = sinks.first(where: { spec in ["csv", "ndjson", "exec"].contains(spec.split(separator: ":").first.map(String.init) ?? "") }) {
            throw ValidationError("--no-records keeps no record, yet --sink \(keeping) would keep them: drop one of the two")
        }
    }
}
