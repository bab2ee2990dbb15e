import AsyncHTTPClient
import Foundation
import JSONStream
import Testing
import TestSupport

extension EndToEnd {
    /// `offer-cancel list`: the API's list, its filters and ours, streamed to stdout.
    @Suite(.serialized, .machineShare) struct ListEndToEndTests {
        let scratch: Scratch
        init() throws { scratch = try Scratch() }

        /// The issue's market: 20,000 offers over four contracts, statuses mixed, a share owned by
        /// sub-users. A sanitized run (ten times slower) seeds 4,000.
        static let seeded = ["--seed-offers", Sanitizer.isActive ? "4000" : "20000", "--contracts", "4", "--mixed"]

        /// The offers the market itself lists for `query`, asked directly.
        static func listed(by market: MockProcess, _ query: String) async throws -> [JSONValue] {
            var request = HTTPClientRequest(url: market.baseURL + "/user/offers?" + query)
            request.headers.add(name: "Authorization", value: "Bearer mock-token")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
            let body = try await response.body.collect(upTo: 64 << 20)
            return try JSONValue.parse(Array(body.readableBytesView))["result"]?.elements ?? []
        }

        static func ids(_ run: CancelRun) -> [String] {
            String(decoding: run.stdout, as: UTF8.self).split(separator: "\n").compactMap { try? JSONValue.parse(String($0))["id"]?.string }
        }

        /// Each filter alone and combined: the offers listed are exactly the market's for the same query.
        @Test func theAPIFiltersListExactlyTheMarketsOffers() async throws {
            let market = try MockProcess(Self.seeded)
            let contract = try #require(try await Self.listed(by: market, "status=READY").first?.value(atPath: "nft.contract.address")?.string)
            let cases: [([String], String)] = [
                ([], "status=READY"),
                (["--status", "CLOSED,SOLD"], "status=CLOSED,SOLD"),
                (["--type", "AUCTION"], "status=READY&type=AUCTION"),
                (["--contract", contract.lowercased()], "status=READY&contractAddress=\(contract)"),
                (["--include-sub-users"], "status=READY&includeSubUsers=true"),
                (["--external-user-id", "ext-1"], "status=READY&externalUserId=ext-1"),
                (["--status", "READY,NEW", "--type", "SALE", "--contract", contract, "--include-sub-users"],
                 "status=READY,NEW&type=SALE&contractAddress=\(contract)&includeSubUsers=true"),
            ]
            for (arguments, query) in cases {
                let run = try CancelRun.run(["list", "--base-url", market.baseURL] + arguments)
                #expect(run.status == 0, "\(arguments): \(run.stderr)")
                let expected = try await Self.listed(by: market, query).compactMap { $0["id"]?.string }
                #expect(!expected.isEmpty, "\(query) selects something")
                #expect(Self.ids(run) == expected, "\(arguments)")
                #expect(run.stderr.contains("offer-cancel list: \(expected.count) offers"), "\(run.stderr)")
            }
            let sub = try CancelRun.run(["list", "--base-url", market.baseURL, "--sub-user", "sub-user-2", "--status", "READY"])
            let ofSubUser = try await Self.listed(by: market, "status=READY&externalUserId=ext-2").compactMap { $0["id"]?.string }
            #expect(Self.ids(sub) == ofSubUser)
        }

        @Test func theLocalFiltersApplyWhileTheListStreams() async throws {
            let market = try MockProcess(Self.seeded)
            let all = try await Self.listed(by: market, "status=READY")
            let run = try CancelRun.run(["list", "--base-url", market.baseURL, "--chain", "bsc", "--price-above", "20000", "--price-below", "40000"])
            #expect(run.status == 0, "\(run.stderr)")
            let expected = all.filter {
                $0.value(atPath: "nft.chain")?.string == "BSC" && ($0["price"]?.number ?? 0) > 20000 && ($0["price"]?.number ?? 0) < 40000
            }.compactMap { $0["id"]?.string }
            #expect(!expected.isEmpty)
            #expect(Self.ids(run) == expected)
            #expect(run.stderr.contains("(\(all.count - expected.count) more passed over"), "\(run.stderr)")
            let none = try CancelRun.run(["list", "--base-url", market.baseURL, "--created-after", "2030-01-01T00:00:00Z"])
            #expect(none.status == 0 && none.stdout.isEmpty)
            let csv = try CancelRun.run(["list", "--base-url", market.baseURL, "--chain", "BSC", "--output", "csv"])
            let rows = String(decoding: csv.stdout, as: UTF8.self).split(whereSeparator: \.isNewline)
            #expect(rows.first == "id,status,type,price,chain,contract,nftId,nftName,createdOn")
            #expect(rows.count == all.filter { $0.value(atPath: "nft.chain")?.string == "BSC" }.count + 1)
        }

        /// A reply cut off mid-array is never a silent short list.
        @Test func aListCutShortSaysHowManyAndExits1() throws {
            let market = try MockProcess(Self.seeded + ["--list-cut-after", "250"])
            let run = try CancelRun.run(["list", "--base-url", market.baseURL, "--include-sub-users"])
            #expect(run.status == 1)
            // The market wrote 250 before it dropped the connection; what was in flight is lost.
            let written = Self.ids(run).count
            #expect(written > 0 && written <= 250)
            #expect(run.stderr.contains("the list stopped after \(written) offers"), "what came is written, and counted: \(run.stderr)")
            #expect(run.stderr.contains("the list is incomplete"))
            #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
        }

        /// list → jq → cancel: exactly one contract's READY offers are cancelled, nothing else.
        @Test func listThenCancelCancelsExactlyTheListedOffers() async throws {
            let market = try MockProcess(Self.seeded)
            let ready = try await Self.listed(by: market, "status=READY")
            let contract = try #require(ready.first?.value(atPath: "nft.contract.address")?.string)
            let chosen = Set(ready.filter { $0.value(atPath: "nft.contract.address")?.string == contract }.compactMap { $0["id"]?.string })
            let log = scratch.file("run.ndjson")
            let run = try shell("offer-cancel list --base-url \(market.baseURL) --contract \(contract) | jq -r .id | offer-cancel --base-url \(market.baseURL) -q --sink ndjson:'\(log)' -")
            #expect(run.status == 0, "\(run.stderr)")
            let calls = try #require(try await market.stats()["cancelCalls"])
            #expect(Set(calls.members.map(\.key)) == chosen)
            #expect(lineCount(log) == chosen.count)
        }

        @Test(arguments: [
            (["list", "--status", "BOGUS"], "--status BOGUS: expected a comma-separated list"),
            (["list", "--type", "BID"], "--type must be SALE or AUCTION"),
            (["list", "--relation", "OWNER"], "--relation must be SELLER, BUYER or BIDDER"),
            (["list", "--created-before", "yesterday"], "--created-before yesterday: expected an RFC 3339 time"),
            (["list", "--output", "xml"], "--output must be ndjson or csv"),
            (["--select", "ids.txt"], "--select takes the offers from the API: name no input"),
            (["--contract", "0xabc", "ids.txt"], "the list filters (--status, --contract, --chain, …) choose offers for --select"),
            (["--yes", "ids.txt"], "--yes answers the question --select asks"),
            (["--select", "--confirm-above=-1"], "--confirm-above must not be negative"),
            (["--select", "--status", "DONE"], "--status DONE: expected a comma-separated list"),
        ])
        func misuseIsOneLineAndExit2(arguments: [String], message: String) throws {
            let run = try CancelRun.run(arguments)
            #expect(run.status == 2)
            #expect(run.stderr.contains(message), "\(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
        }

        /// `list | head` ends as a filter does: by SIGPIPE (141), quietly.
        @Test func aReaderThatLeavesEndsTheListQuietly() throws {
            let market = try MockProcess(Self.seeded)
            let status = scratch.file("status")
            let run = try shell("offer-cancel list --base-url \(market.baseURL) --include-sub-users | head -1 > /dev/null; echo ${PIPESTATUS[0]} > '\(status)'")
            #expect(run.status == 0)
            #expect(try String(contentsOfFile: status, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) == "141")
            #expect(run.stderr.isEmpty, "\(run.stderr)")
        }

        /// Replies no real API should send, served byte for byte: never a crash, never a silent
        /// short list — one line, exit 1 for `list`; exit 3 and nothing cancelled for `--select`.
        @Test(arguments: [
            (#"{"success":true,"result":[{"id":"a"},{"id":"b"},{"id""#, "the list stopped after 2 offers"),
            ("<html><body>502 Bad Gateway</body></html>", "listing failed"),
            (#"{"success":true,"result":"none"}"#, #"no "result" array"#),
            (#"{"success":false,"errors":[{"code":"x","message":"y"}]}"#, #"no "result" array"#),
            (#"{"success":true,"result":["# + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "]}", "listing failed"),
            (#"{"success":true,"result":[{"id":"a"}]}}}"#, "the list stopped after 1 offers"),
        ])
        func aHostileReplyIsOneLineNeverACrash(body: String, message: String) throws {
            let reply = scratch.file("reply.json")
            try Data(body.utf8).write(to: URL(fileURLWithPath: reply))
            let server = try PythonMarket("static_reply.py", arguments: [reply])
            let list = try CancelRun.run(["list", "--base-url", server.baseURL])
            #expect(list.status == 1, "\(list.stderr)")
            #expect(list.stderr.contains(message), "\(list.stderr)")
            #expect(list.stderr.split(separator: "\n").count == 1, "\(list.stderr)")
            let log = scratch.file("hostile.ndjson")
            let select = try CancelRun.run(["--select", "--yes", "--base-url", server.baseURL, "--sink", "ndjson:\(log)"])
            #expect(select.status == 3, "\(select.stderr)")
            #expect(select.stderr.contains("nothing was cancelled"), "\(select.stderr)")
            #expect(!FileManager.default.fileExists(atPath: log))
            withExtendedLifetime(server) {}
        }

        @Test func aRefusedTokenIsExit3() throws {
            let market = try MockProcess(Self.seeded)
            let run = try CancelRun.run(["list", "--base-url", market.baseURL], environment: ["ARKANE_TOKEN": "wrong"])
            #expect(run.status == 3, "\(run.stderr)")
            #expect(run.stderr.contains("HTTP 401"), "\(run.stderr)")
            #expect(!run.stderr.contains("wrong"), "the token never appears")
        }
    }
}
