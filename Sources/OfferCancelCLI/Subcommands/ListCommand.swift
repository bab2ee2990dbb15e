import ArgumentParser
import Foundation
import JSONStream
import OfferCancelKit

/// `offer-cancel list`: the caller's offers, as the API lists them, streamed to stdout.
struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List your offers from the API (GET /user/offers), one per line, to choose what to cancel.",
        discussion: """
            The API's filters (--status, --type, --contract, --relation, --external-user-id, \
            --include-sub-users, --sub-user) are sent as its query; --chain, --price-below/above \
            and --created-before/after are applied here, while the list streams. Offers are \
            written as they arrive — NDJSON, each the API's object unchanged, or CSV — and the \
            reply is never held whole. A reply cut short is an error that says how many offers \
            were listed (exit 1): never a silent short list.

            Examples:
              offer-cancel list --contract 0xA457… > offers.ndjson
              offer-cancel list --status READY,NEW --output csv > offers.csv
              offer-cancel list --price-above 1000 | jq -r .id | offer-cancel -
            """
    )

    @OptionGroup(title: "API") var api: APIOptions
    @OptionGroup(title: "What to list") var filters: ListFilters

    @Option(help: "ndjson (the API's offer objects, one per line) or csv (id, status, type, price, chain, contract, nftId, nftName, createdOn).")
    var output = "ndjson"

    @Option(help: ArgumentHelp("Seconds to wait for the reply's next bytes.", valueName: "seconds"))
    var timeout = 30.0

    @Option(help: "Requests at most while the reply has not begun (429, 5xx, network errors).")
    var maxAttempts = 5

    func validate() throws {
        guard ["ndjson", "csv"].contains(output) else { throw ValidationError("--output must be ndjson or csv, not '\(output)'") }
        guard timeout > 0 else { throw ValidationError("--timeout must be more than 0 seconds") }
        guard maxAttempts >= 1 else { throw ValidationError("--max-attempts must be at least 1") }
        _ = try filters.query()
        _ = try filters.localFilter()
    }

    func run() async throws {
        let console = Console()
        let query = try filters.query()
        let local = try filters.localFilter()
        let mock: MockMarketProcess?
        let client: MarketClient
        do {
            mock = api.mock ? try MockMarketProcess() : nil
            client = try MarketClient(baseURL: mock?.baseURL ?? api.baseURL, credentials: try api.credentials(), concurrency: 1,
                                      timeout: .milliseconds(Int64(timeout * 1000)), caCertificates: api.cacert)
        } catch {
            console.note("\(error)")
            throw ExitCode(2)
        }
        var writer = OfferWriter(csv: output == "csv")
        var passedOver = 0
        let status: Int32
        do {
            let listed = try await client.listOffers(query, retry: RetryPolicy(maxAttempts: maxAttempts, base: .milliseconds(500))) { offer in
                guard local.admits(offer) else { return passedOver += 1 }
                try writer.write(offer)
            }
            try writer.flush()
            console.say("offer-cancel list: \(listed.count - passedOver) offers" + (passedOver > 0 ? " (\(passedOver) more passed over by --chain, --price or --created filters)" : "")
                + " from \(query.pathAndQuery)" + (listed.pages > 1 ? " (\(listed.pages) pages)" : ""))
            status = 0
        } catch let error as OfferListError {
            try? writer.flush()
            console.note("list: \(error)")
            status = error.cannotList ? 3 : 1
        } catch let error as StandardOutput.WriteError where error.isBrokenPipe {
            status = 128 + SIGPIPE  // the reader left (`| head`): quietly, as a filter ends
        } catch {
            console.note("list: writing to stdout: \(error)")
            status = 1
        }
        await client.shutdown()
        mock?.stop()
        throw ExitCode(status)
    }
}
