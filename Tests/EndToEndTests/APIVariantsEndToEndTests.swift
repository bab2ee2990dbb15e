import AsyncHTTPClient
import Foundation
import JSONStream
import Testing
import TestSupport

extension EndToEnd {
    /// The API as its own later documentation describes it: cancel by POST (docs-capsule,
    /// cancel-an-offer.md since commit 712dfec) and lists in pages (Venly's
    /// `VyApiResponseDto.pagination`).
    @Suite(.serialized, .machineShare) struct APIVariantsEndToEndTests {
        let scratch: Scratch
        init() throws { scratch = try Scratch() }

        /// How many cancels each offer got, by method, as the Python market counted them.
        static func calls(_ market: PythonMarket) async throws -> [String: [String: Int]] {
            let body = try await HTTPClient.shared.execute(HTTPClientRequest(url: market.baseURL + "/__calls"), timeout: .seconds(10)).body.collect(upTo: 64 << 20)
            let json = try JSONValue.parse(Array(body.readableBytesView))
            return Dictionary(uniqueKeysWithValues: json.members.map { id, methods in
                (id, Dictionary(uniqueKeysWithValues: methods.members.map { ($0.key, Int($0.value.integer ?? 0)) }))
            })
        }

        /// A server that refuses GET: `auto` sends every offer again by POST, once, says so on
        /// one line, and both summaries name the method.
        @Test func autoSwitchesTheRunToPOSTAtTheFirst405() async throws {
            let market = try PythonMarket("method_market.py", arguments: ["post"])
            let ids = try IDFile(count: 300)
            let stats = scratch.file("stats.json")
            let run = try CancelRun.run(["--base-url", market.baseURL, "-c", "16", "--sink", "ndjson:-", "--sink", "summary-json:\(stats)", ids.path])
            #expect(run.status == 0, "\(run.stderr)")
            let records = try run.records()
            #expect(outcomeCounts(records) == ["cancelled": 300])
            let calls = try await Self.calls(market)
            #expect(Set(calls.keys) == Set(ids.ids), "every offer was cancelled")
            #expect(calls.values.allSatisfy { $0 == ["POST": 1] }, "each once, by POST")
            #expect(run.stderr.components(separatedBy: "refused GET for cancel").count == 2, "one line about the switch: \(run.stderr)")
            #expect(run.stderr.contains("method     POST (switched from GET after a 405)"), "\(run.stderr)")
            let summary = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: stats))))
            #expect(summary["cancelMethod"]?.string == "POST (switched from GET after a 405)")
            #expect(records.allSatisfy { ($0["attempts"]?.integer ?? 0) >= 1 && ($0["attempts"]?.integer ?? 0) <= 2 }, "a GET refused counts as an attempt")
        }

        /// A method pinned is never switched: GET refused stops the run through the probe, with
        /// a line that names the way out; nothing is sent by POST.
        @Test func aPinnedGETRefusedStopsTheRunNamingPOST() async throws {
            let market = try PythonMarket("method_market.py", arguments: ["post"])
            let ids = try IDFile(count: 200)
            let run = try CancelRun.run(["--base-url", market.baseURL, "--cancel-method", "GET", "-c", "4", "--sink", "ndjson:-", ids.path])
            #expect(run.status == 3, "\(run.stderr)")
            #expect(run.stderr.contains("aborted: 20 replies in a row failed the same way"), "\(run.stderr)")
            #expect(run.stderr.contains("refused GET for cancel (HTTP 405)") && run.stderr.contains("--cancel-method POST"), "\(run.stderr)")
            #expect(try await Self.calls(market).isEmpty, "nothing was sent by POST")
            #expect(try run.records().count == 200, "every item has its record")
        }

        /// A server that takes neither: `auto` tries POST once GET is refused, then stops
        /// through the probe with a line naming both.
        @Test func bothMethodsRefusedStopTheRunNamingBoth() async throws {
            let market = try PythonMarket("method_market.py", arguments: ["none"])
            let ids = try IDFile(count: 200)
            let run = try CancelRun.run(["--base-url", market.baseURL, "-c", "4", "--sink", "ndjson:-", ids.path])
            #expect(run.status == 3, "\(run.stderr)")
            #expect(run.stderr.contains("refused both GET and POST for cancel"), "\(run.stderr)")
            #expect(outcomeCounts(try run.records())["cancelled"] == nil)
        }

        /// arkane-mock takes one method when told: the other is its 405, and offer-cancel's
        /// pinned POST against a GET-only market is refused the same way.
        @Test(arguments: [("POST", "auto", 0), ("POST", "POST", 0), ("GET", "auto", 0), ("GET", "POST", 3)])
        func theMockTakesTheMethodItIsTold(mock: String, client: String, status: Int32) async throws {
            let market = try MockProcess(["--cancel-method", mock])
            let ids = try IDFile(count: 60)
            let run = try CancelRun.run(["--base-url", market.baseURL, "--cancel-method", client, "-c", "4", "--probe", "20", "--sink", "ndjson:-", ids.path])
            #expect(run.status == status, "\(run.stderr)")
            let stats = try await market.stats()
            let cancelled = stats["cancelCalls"]?.members.count ?? 0
            #expect(cancelled == (status == 0 ? 60 : 0), "\(stats["requests"].map { "\($0)" } ?? "")")
            let refused = stats["requests"]?["method-not-allowed"]?.integer ?? 0
            #expect((refused > 0) == (mock == "POST" && client == "auto" || status != 0), "405s: \(refused)")
        }

        /// Shards, --confirm and --resume work the same when cancels go by POST: half the offers
        /// by one shard with confirmation, the rest by resuming its log, each offer cancelled once.
        @Test func shardsConfirmAndResumeWorkByPOST() async throws {
            let market = try MockProcess(["--cancel-method", "POST", "--close-delay-ms", "50"])
            let ids = try IDFile(count: 80)
            let log = scratch.file("run.ndjson")
            let first = try CancelRun.run(["--base-url", market.baseURL, "--shard", "1/2", "--confirm", "-c", "8", "--sink", "ndjson:+\(log)", ids.path])
            #expect(first.status == 0, "\(first.stderr)")
            #expect(first.stderr.contains("method     POST (switched from GET after a 405)"), "\(first.stderr)")
            let rest = try CancelRun.run(["--base-url", market.baseURL, "--cancel-method", "POST", "--resume", log, "-c", "8", "--sink", "ndjson:+\(log)", ids.path])
            #expect(rest.status == 0, "\(rest.stderr)")
            #expect(rest.stderr.contains("method     POST") && !rest.stderr.contains("refused GET"), "\(rest.stderr)")
            let calls = try #require(try await market.stats()["cancelCalls"])
            #expect(Set(calls.members.map(\.key)) == Set(ids.ids))
            #expect(calls.members.allSatisfy { $0.value.integer == 1 }, "each offer cancelled once")
            let records = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map { try JSONValue.parse(String($0)) }
            #expect(records.count == 80)
            #expect(outcomeCounts(records) == ["cancelled": 80])
        }

        /// A body that stalls after 30 bytes is recorded as the timeout it is, with how far it
        /// got — not as a reply that is not JSON.
        @Test func aStalledBodyIsATimeoutThatSaysHowFarItGot() throws {
            let reply = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("Fixtures/cancel-offer-response.json").path
            let size = try #require(try FileManager.default.attributesOfItem(atPath: reply)[.size] as? Int)
            let market = try PythonMarket("static_reply.py", arguments: [reply, "--stall-after", "30"])
            let ids = try IDFile(count: 1)
            let run = try CancelRun.run(["--base-url", market.baseURL, "--timeout", "1", "--max-attempts", "1", "--probe", "0", "--sink", "ndjson:-", ids.path],
                                        signal: SIGKILL, signalWhen: { false })
            #expect(run.status == 1, "\(run.stderr)")
            let record = try #require(try run.records().first)
            let message = record["errorMessage"]?.string ?? ""
            #expect(message.contains("timed out after 1 s reading the reply (30 of \(size) bytes)"), "\(message)")
            #expect(!message.contains("not JSON"), "\(message)")
        }

        // MARK: Pagination

        /// The market's offers, listed whole by a market of the same seed that does not page.
        static func allOffers(_ arguments: [String], query: String = "status=READY") async throws -> [String] {
            let whole = try MockProcess(arguments)
            return try await ListEndToEndTests.listed(by: whole, query).compactMap { $0["id"]?.string }
        }

        static let seeded = ["--seed-offers", "500", "--mixed", "--contracts", "3"]

        /// Every status the market seeds: listing with all of them yields every seeded offer.
        static let everyStatus = "NEW,INITIATING_OFFER,READY,REFUSED,FINALIZING_OFFER,SOLD,CLOSING_OFFER,CLOSED,ERROR,TERMINATED"

        /// Every page is read, in order: the offers listed are exactly the market's — all 500
        /// of them with every status asked for, the READY ones by default — with the server's
        /// page size and with --page-size.
        @Test(arguments: [(nil, false), (50, false), (nil, true)] as [(Int?, Bool)])
        func aPagedListIsFollowedToItsEnd(pageSize: Int?, everyStatus: Bool) async throws {
            let query = everyStatus ? "status=\(Self.everyStatus)" : "status=READY"
            let expected = try await Self.allOffers(Self.seeded, query: query + "&includeSubUsers=true")
            #expect(expected.count == (everyStatus ? 500 : expected.count) && expected.count > 200)
            let market = try MockProcess(Self.seeded + ["--page-size", "7"])
            let run = try CancelRun.run(["list", "--base-url", market.baseURL, "--include-sub-users"] + (everyStatus ? ["--status", Self.everyStatus] : [])
                                        + (pageSize.map { ["--page-size", "\($0)"] } ?? []))
            #expect(run.status == 0, "\(run.stderr)")
            #expect(ListEndToEndTests.ids(run) == expected)
            let pages = (expected.count + (pageSize ?? 7) - 1) / (pageSize ?? 7)
            #expect(run.stderr.contains("\(expected.count) offers from /user/offers?") && run.stderr.contains("(\(pages) pages)"), "\(run.stderr)")
        }

        /// --select reads every page before it cancels, and cancels exactly the READY offers.
        @Test func selectCancelsTheReadyOffersOfEveryPage() async throws {
            let expected = try await Self.allOffers(Self.seeded)
            let market = try MockProcess(Self.seeded + ["--page-size", "7"])
            let run = try CancelRun.run(["--select", "--yes", "--base-url", market.baseURL, "--sink", "ndjson:-"])
            #expect(run.status == 0, "\(run.stderr)")
            let calls = try #require(try await market.stats()["cancelCalls"])
            #expect(Set(calls.members.map(\.key)) == Set(expected), "exactly the READY offers")
            #expect(calls.members.allSatisfy { $0.value.integer == 1 })
            #expect(run.stderr.contains("plan: \(grouped(expected.count)) offers from api:/user/offers?status=READY&relation=SELLER (\((expected.count + 6) / 7) pages)"), "\(run.stderr)")
        }

        /// A page that does not advance, or a page cut short, ends `list` with exit 1 and
        /// --select with exit 3, before any cancel, saying how many of how many were listed.
        @Test(arguments: [(["--fault-ignore-page"], "came twice, the second time on page 2"), (["--list-cut-after", "3"], "the list stopped after 3 offers")])
        func aPageThatCannotBeTrustedIsRefused(fault: [String], reason: String) async throws {
            let market = try MockProcess(Self.seeded + ["--page-size", "7"] + fault)
            let list = try CancelRun.run(["list", "--base-url", market.baseURL])
            #expect(list.status == 1, "\(list.stderr)")
            #expect(list.stderr.contains(reason), "\(list.stderr)")
            if fault == ["--fault-ignore-page"] {
                #expect(list.stderr.contains("listed 8 of "), "the first offer of page 2 is the one repeated: \(list.stderr)")
            }
            let select = try CancelRun.run(["--select", "--yes", "--base-url", market.baseURL, "--sink", "ndjson:-"])
            #expect(select.status == 3, "\(select.stderr)")
            #expect(select.stderr.contains(reason) && select.stderr.contains("nothing was cancelled"), "\(select.stderr)")
            #expect(try await market.stats()["cancelCalls"]?.members.isEmpty ?? true, "nothing cancelled")
        }
    }
}
