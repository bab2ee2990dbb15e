import Foundation
import JSONStream
import Testing
import TestSupport

extension EndToEnd {
    /// `cancel --select`: the offers come from the API's list, a plan is shown, a large run is
    /// confirmed, and only the offers listed are cancelled.
    @Suite(.serialized, .machineShare) struct SelectEndToEndTests {
        let scratch: Scratch
        init() throws { scratch = try Scratch() }

        /// The issue's market: 20,000 offers over four contracts, statuses mixed, a share owned by
        /// sub-users. A sanitized run (ten times slower) seeds 4,000.
        static let seeded = ["--seed-offers", Sanitizer.isActive ? "4000" : "20000", "--contracts", "4", "--mixed"]

        static func ids(_ offers: [JSONValue]) -> [String] { offers.compactMap { $0["id"]?.string } }

        /// One contract's READY offers are cancelled, each once, and nothing else; the records
        /// name the list as their source and the plan counts what the records count.
        @Test func selectCancelsExactlyTheContractsReadyOffers() async throws {
            let market = try MockProcess(Self.seeded)
            let ready = try await ListEndToEndTests.listed(by: market, "status=READY")
            let contract = try #require(ready.first?.value(atPath: "nft.contract.address")?.string)
            let chosen = Self.ids(try await ListEndToEndTests.listed(by: market, "status=READY&contractAddress=\(contract)"))
            #expect(chosen.count > 100, "more than --confirm-above: --yes is what lets it run")
            let log = scratch.file("run.ndjson")
            let run = try CancelRun.run(["--select", "--contract", contract.lowercased(), "--yes", "--base-url", market.baseURL, "--sink", "ndjson:\(log)", "--sink", "summary"])
            #expect(run.status == 0, "\(run.stderr)")

            let calls = try #require(try await market.stats()["cancelCalls"])
            let exactlyChosen = Set(calls.members.map(\.key)) == Set(chosen)
            #expect(exactlyChosen, "exactly the contract's READY offers (\(calls.members.count) cancelled, \(chosen.count) chosen)")
            #expect(calls.members.allSatisfy { $0.value.integer == 1 }, "each once")
            let records = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map { try JSONValue.parse(String($0)) }
            let bySeq = records.sorted { ($0["seq"]?.integer ?? 0) < ($1["seq"]?.integer ?? 0) }
            let inListOrder = bySeq.compactMap { $0["offerId"]?.string } == chosen
            #expect(inListOrder, "one record per offer listed, numbered in list order (\(records.count) records, \(chosen.count) listed)")
            #expect(outcomeCounts(records) == ["cancelled": chosen.count])
            let source = "api:/user/offers?status=READY&contractAddress=\(contract.lowercased())&relation=SELLER"
            #expect(records.allSatisfy { $0["source"]?.string == source }, "\(records.first?["source"]?.string ?? "")")
            #expect(run.stderr.contains("plan: \(grouped(chosen.count)) offers from \(source)"), "\(run.stderr)")
            #expect(run.stderr.contains("by contract: \(contract) \(grouped(chosen.count))"), "\(run.stderr)")
            #expect(run.stderr.contains("by status:   READY \(grouped(chosen.count))"), "\(run.stderr)")
        }

        /// With local filters and several statuses, the plan's counts by status and chain are
        /// the records' — and a dry run sends nothing.
        @Test func theDryRunPlanCountsEqualTheRecords() async throws {
            let market = try MockProcess(Self.seeded)
            let listed = try await ListEndToEndTests.listed(by: market, "status=READY,NEW&includeSubUsers=true")
            let chosen = listed.filter { $0.value(atPath: "nft.chain")?.string == "MATIC" && ($0["price"]?.number ?? 0) > 10_000 }
            let run = try CancelRun.run(["--select", "--dry-run", "--status", "READY,NEW", "--include-sub-users", "--chain", "matic", "--price-above", "10000",
                                         "--base-url", market.baseURL])
            #expect(run.status == 0, "\(run.stderr)")
            let records = try run.records()
            let recordedIDs = records.sorted { ($0["seq"]?.integer ?? 0) < ($1["seq"]?.integer ?? 0) }.compactMap { $0["offerId"]?.string }
            let sameOffers = recordedIDs == Self.ids(chosen)
            #expect(sameOffers, "\(records.count) records, \(chosen.count) chosen")
            #expect(outcomeCounts(records) == ["dry_run": chosen.count])
            let byStatus = Dictionary(grouping: chosen) { $0["status"]?.string ?? "" }.mapValues(\.count)
            #expect(byStatus.count == 2, "both statuses are chosen")
            for (status, count) in byStatus {
                #expect(run.stderr.contains("\(status) \(grouped(count))"), "\(status): \(run.stderr)")
            }
            #expect(run.stderr.contains("by chain:    MATIC \(grouped(chosen.count))"), "\(run.stderr)")
            #expect(try await market.stats()["requests"]?["cancel"] == nil, "a dry run cancels nothing")
        }

        /// Without a terminal to ask, a run over --confirm-above needs --yes: it is refused before
        /// any file is created or any cancel sent. Under the threshold it runs.
        @Test func aLargeRunWithoutYesOnANonTerminalIsRefused() async throws {
            let market = try MockProcess(Self.seeded)
            let log = scratch.file("refused.ndjson")
            let refused = try CancelRun.run(["--select", "--base-url", market.baseURL, "--sink", "ndjson:\(log)"])
            #expect(refused.status == 2, "\(refused.stderr)")
            #expect(refused.stderr.contains("stdin is not a terminal to ask"), "\(refused.stderr)")
            #expect(refused.stderr.contains("plan: "), "the plan is shown first")
            #expect(!FileManager.default.fileExists(atPath: log), "nothing created")
            #expect(try await market.stats()["requests"]?["cancel"] == nil, "nothing sent")

            let small = try await ListEndToEndTests.listed(by: market, "status=READY&externalUserId=ext-1")
            let allowed = try CancelRun.run(["--select", "--external-user-id", "ext-1", "--confirm-above", "\(small.count)", "--base-url", market.baseURL])
            #expect(allowed.status == 0, "\(allowed.stderr)")
            #expect(outcomeCounts(try allowed.records()) == ["cancelled": small.count])
        }

        /// On a terminal the run asks; exactly "yes" cancels (as the prompt says: real money),
        /// anything else — "y" and "YES" included — cancels nothing (exit 3).
        @Test(arguments: [("yes", Int32(0)), (" yes ", Int32(0)), ("no", Int32(3)), ("y", Int32(3)), ("YES", Int32(3)), ("", Int32(3))])
        func aTerminalRunAsks(answer: String, status: Int32) async throws {
            let market = try MockProcess(Self.seeded)
            let chosen = try await ListEndToEndTests.listed(by: market, "status=READY&type=AUCTION")
            let log = scratch.file("asked.ndjson"), transcript = scratch.file("transcript")
            let command = "offer-cancel --select --type AUCTION --base-url \(market.baseURL) --sink ndjson:\(log) --progress never"
            // script(1) gives the run a pseudo-terminal; the answer is typed into it.
            let run = try shell("printf '\(answer)\\n' | script -qec '\(command)' /dev/null > '\(transcript)'")
            let screen = (try? String(contentsOfFile: transcript, encoding: .utf8)) ?? ""
            #expect(run.status == status, "\(screen)")
            #expect(screen.contains("cancel these \(grouped(chosen.count)) offers? Type yes to go on"), "\(screen)")
            let cancels = try await market.stats()["requests"]?["cancel"]?.integer ?? 0
            if status == 0 {
                #expect(cancels == chosen.count)
                #expect(lineCount(log) == chosen.count)
            } else {
                #expect(cancels == 0)
                #expect(!FileManager.default.fileExists(atPath: log))
                #expect(screen.contains("not confirmed; nothing was cancelled"))
            }
        }

        /// A list cut short is never a short run: nothing is cancelled, exit 3, one line with the count.
        @Test func aListCutShortCancelsNothing() async throws {
            let market = try MockProcess(Self.seeded + ["--list-cut-after", "300"])
            let log = scratch.file("cut.ndjson")
            let run = try CancelRun.run(["--select", "--yes", "--base-url", market.baseURL, "--sink", "ndjson:\(log)"])
            #expect(run.status == 3, "\(run.stderr)")
            #expect(run.stderr.contains("the list stopped after"), "\(run.stderr)")
            #expect(run.stderr.contains("nothing was cancelled"))
            #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: log))
            #expect(try await market.stats()["requests"]?["cancel"] == nil)
        }

        /// A --select run cut short by failures is finished by running it again: what it
        /// cancelled is no longer READY, so the list (and the plan) holds exactly what failed.
        @Test func aSecondSelectRunFinishesTheFirst() async throws {
            let market = try MockProcess(Self.seeded + ["--fault-500", "0.1", "--seed", "5"])
            let log = scratch.file("resumed.ndjson")
            let filters = ["--select", "--type", "AUCTION", "--yes", "--base-url", market.baseURL]
            let chosen = Self.ids(try await ListEndToEndTests.listed(by: market, "status=READY&type=AUCTION"))
            let first = try CancelRun.run(filters + ["--max-attempts", "1", "--sink", "ndjson:\(log)"])
            #expect(first.status == 1, "some failed: \(first.stderr.suffix(600))")
            let failed = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map { try JSONValue.parse(String($0)) }
                .filter { $0["outcome"]?.string == "failed" }.count
            #expect(failed > 0)
            let second = try CancelRun.run(filters + ["--max-attempts", "20", "--resume", log, "--sink", "ndjson:+\(log)", "--sink", "summary"])
            #expect(second.status == 0, "\(second.stderr.suffix(600))")
            #expect(second.stderr.contains("plan: \(grouped(failed)) offers"), "\(second.stderr.suffix(600))")
            let calls = try #require(try await market.stats()["cancelCalls"])
            let allCancelled = Set(calls.members.map(\.key)) == Set(chosen)
            #expect(allCancelled, "\(calls.members.count) offers cancelled of \(chosen.count)")
            #expect(lineCount(log) == chosen.count + failed, "one record per offer and one more per retried offer")
        }

        /// 300,000 offers (690 MB of JSON) stream through `list` in bounded memory, measured by
        /// /usr/bin/time. Under a sanitizer a tenth of them checks the streaming, not the bound.
        @Test func threeHundredThousandOffersListInBoundedMemory() throws {
            let count = Sanitizer.isActive ? 30_000 : 300_000
            let market = try MockProcess(["--seed-offers", "\(count)", "--contracts", "4"])
            let rss = scratch.file("rss"), ids = scratch.file("ids")
            let run = try shell("/usr/bin/time -f %M -o '\(rss)' offer-cancel list --base-url \(market.baseURL) | jq -r .id > '\(ids)'")
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stderr.contains("offer-cancel list: \(count) offers"), "\(run.stderr)")
            #expect(lineCount(ids) == count)
            let kilobytes = try #require(Int(try String(contentsOfFile: rss, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
            if !Sanitizer.isActive {
                #expect(kilobytes <= 64 * 1024, "peak RSS \(kilobytes) KiB listing 300,000 offers")
            }
        }
    }
}

/// `1234567` as `1,234,567`, as the plan prints counts.
func grouped(_ value: Int) -> String {
    let formatter = NumberFormatter()
    formatter.numberStyle = .decimal
    formatter.locale = Locale(identifier: "en_US")
    return formatter.string(from: NSNumber(value: value)) ?? "\(value)"
}
