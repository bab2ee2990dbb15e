import ArgumentParser
import Foundation
import OfferCancelKit

/// `cancel --select`: the offers to cancel come from the API's list (`list`'s filters), are
/// shown as a plan, and — past `--confirm-above` — confirmed before the first cancel.
struct SelectOptions: ParsableArguments {
    @Flag(help: "Cancel the offers the API lists with the filters below (GET /user/offers) instead of reading IDs. The whole list is read first, a plan (how many by contract, status and chain) is printed, then the offers are cancelled.")
    var select = false

    @OptionGroup(title: "What --select lists") var filters: ListFilters

    @Option(name: .customLong("confirm-above"), help: ArgumentHelp("With --select: ask on the terminal before cancelling more than this many offers (default 100). Where stdin is not a terminal, such a run needs --yes.", valueName: "n"))
    var confirmAboveOption: Int?

    /// `--confirm-above`, or its default.
    var confirmAbove: Int { confirmAboveOption ?? 100 }

    @Flag(name: .shortAndLong, help: "With --select: cancel after printing the plan, without asking.")
    var yes = false

    func validate() throws {
        guard confirmAbove >= 0 else { throw ValidationError("--confirm-above must not be negative") }
        guard select else {
            if try filters.query() != OfferListQuery() || !filters.localFilter().isEmpty {
                throw ValidationError("the list filters (--status, --contract, --chain, …) choose offers for --select: add --select, or use `offer-cancel list`")
            }
            if yes { throw ValidationError("--yes answers the question --select asks: add --select") }
            if confirmAboveOption != nil { throw ValidationError("--confirm-above sets when --select asks: add --select") }
            return
        }
        _ = try filters.query()
        _ = try filters.localFilter()
    }

    /// Lists the offers the filters choose, whole, before anything is cancelled. A list that
    /// cannot be had, or stops short, aborts the run (exit 3): nothing was cancelled.
    func selection(client: MarketClient, retry: RetryPolicy, console: Console) async throws -> OfferSelection {
        let query = try filters.query()
        let local = try filters.localFilter()
        var selection = OfferSelection(query: query)
        do {
            let list = try await client.listOffers(query, retry: retry) { offer in
                if local.admits(offer) { selection.add(offer) }
            }
            selection.pages = list.pages
        } catch let error as OfferListError {
            console.note("--select: \(error); nothing was cancelled")
            throw ExitCode(3)
        }
        return selection
    }

    /// Prints the plan, then lets the run go on, asks, or refuses: a question on the terminal
    /// when more than `--confirm-above` offers would be cancelled (nothing is asked with
    /// `--yes` or `--dry-run`); without a terminal to ask, refusal (exit 2). Anything but
    /// exactly `yes` aborts (exit 3).
    func confirm(_ selection: OfferSelection, dryRun: Bool, console: Console) throws {
        console.note("plan: " + selection.plan())
        guard !dryRun, !yes, selection.count > confirmAbove else { return }
        let count = OfferSelection.grouped(selection.count)
        guard console.stdinIsTerminal else {
            console.note("--select would cancel \(count) offers (more than --confirm-above \(confirmAbove)) and stdin is not a terminal to ask: check the plan (--dry-run), then add --yes")
            throw ExitCode(2)
        }
        console.write(Console.prefix + "cancel these \(count) offers? Type yes to go on: ")
        // Exactly the word the prompt asks for: a "y" typed out of habit cancels nothing.
        let answer = readLine(strippingNewline: true)?.trimmingCharacters(in: .whitespaces)
        guard answer == "yes" else {
            console.note("not confirmed; nothing was cancelled")
            throw ExitCode(3)
        }
    }

    /// The flags that choose the same offers again (for the resume hint).
    var arguments: [String] {
        ["--select"] + filters.arguments
    }
}
