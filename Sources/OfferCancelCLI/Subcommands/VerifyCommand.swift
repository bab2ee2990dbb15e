import ArgumentParser
import OfferCancelKit

/// `offer-cancel verify`: reads back, an hour or a day later, every offer the record logs say
/// was cancelled, and records whether it is CLOSED.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Read every offer the record logs show cancelled and record whether it is CLOSED.",
        discussion: """
            For each offer the logs record cancelled or already_closed (once, however many logs \
            name it), reads GET /offers/{id} with the same credentials, flow control and retries \
            as a cancel run, and writes one record to the sinks: already_closed with confirmed \
            true when the offer is CLOSED; already_closed with confirmed false while it is still \
            CLOSING_OFFER; failed when it is in any other state (the cancel did not hold) or \
            could not be read. Exit status 0 only when every offer is CLOSED, else 1.

            --resume VERIFY-LOG reads again only the offers an earlier verify did not see CLOSED.

            Examples:
              offer-cancel verify --sink ndjson:verify.ndjson --sink summary run.ndjson
              offer-cancel verify --resume verify.ndjson --sink ndjson:+verify.ndjson run.ndjson
              offer-cancel verify --sink summary shard-*.ndjson
            """
    )

    @Argument(help: ArgumentHelp("Record logs of cancel runs, as --sink ndjson:… or csv:… write them; - reads stdin.", valueName: "log"))
    var logs: [String] = []

    @Option(help: ArgumentHelp("Continue an earlier verify from its record log (NDJSON or CSV): offers it saw CLOSED are not read again.", valueName: "log"))
    var resume: String?

    @Option(help: ArgumentHelp("Keep only the offers of shard K of N (the hash of --shard in a cancel run).", valueName: "K/N"))
    var shard: String?

    @OptionGroup(title: "API") var api: APIOptions
    @OptionGroup(title: "Behaviour") var behaviour: BehaviourOptions
    @OptionGroup(title: "Output") var output: OutputOptions

    func validate() throws {
        if logs.isEmpty { throw ValidationError("name the record logs to verify: offer-cancel verify run.ndjson") }
        _ = try input()
    }

    /// The logs, `--resume` and `--shard` as the cancel run's input options, which the run
    /// shares.
    func input() throws -> InputOptions {
        try InputOptions.parse((resume.map { ["--resume", $0] } ?? []) + (shard.map { ["--shard", $0] } ?? []) + ["--"] + logs)
    }

    func run() async throws {
        try await CancelFrontend(self).run()
    }
}
