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
    @OptionGroup(title: "Cancels") var sending: CancelSendingOptions
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
        try await CancelFrontend(self).run()
    }
}
