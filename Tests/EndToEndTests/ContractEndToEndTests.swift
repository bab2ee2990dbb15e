import AsyncHTTPClient
import Foundation
import JSONStream
import NIOHTTP1
import Testing
import TestSupport

extension EndToEnd {
    /// The reply examples of the API's own documentation (Tests/Fixtures/docs-capsule, with
    /// their source and commit in SOURCE.md) as contract tests: offer-cancel records and lists
    /// each one right, and arkane-mock serves every key of them with the same JSON type.
    @Suite(.serialized, .machineShare) struct ContractEndToEndTests {
        static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/docs-capsule")

        static func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

        static func fixture(_ name: String) throws -> JSONValue {
            try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path(name)))))
        }

        /// The value compact, as Python's `json.dumps` writes it (keys in document order, no
        /// space, non-ASCII as is): what `--include-offer` and `list` must write, byte for byte.
        static func compact(_ name: String, _ expression: String) throws -> [String] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", """
                import json, sys
                value = json.load(open(sys.argv[1]))\(expression)
                for item in (value if isinstance(value, list) else [value]):
                    print(json.dumps(item, separators=(",", ":"), ensure_ascii=False))
                """, path(name)]
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
        }

        /// A documented cancel (and offer) reply, recorded field by field, the offer byte-exact.
        @Test(arguments: ["cancel-an-offer.json", "retrieve-an-offer.json"])
        func aDocumentedReplyIsRecordedFieldByField(name: String) throws {
            let reply = try Self.fixture(name)
            let offer = try #require(reply["result"])
            let market = try PythonMarket("static_reply.py", arguments: [Self.path(name)])
            let ids = try IDFile(count: 1)
            let run = try CancelRun.run(["--base-url", market.baseURL, "--include-offer", "--sink", "ndjson:-", ids.path])
            #expect(run.status == 0, "\(run.stderr)")
            let record = try #require(try run.records().first)
            #expect(record["outcome"]?.string == "cancelled")
            let fields: [(String, JSONValue?)] = [
                ("offerStatus", offer["status"]), ("offerType", offer["type"]), ("price", offer["price"]),
                ("sellerAddress", offer["sellerAddress"]), ("nftId", offer.value(atPath: "nft.id")), ("nftName", offer.value(atPath: "nft.name")),
                ("nftAddress", offer.value(atPath: "nft.address")), ("chain", offer.value(atPath: "nft.chain")),
                ("contractName", offer.value(atPath: "nft.contract.name")),
            ]
            for (field, expected) in fields {
                #expect(expected != nil, "\(name) has \(field)")
                #expect(record[field] == expected, "\(field)")
            }
            let line = String(decoding: run.stdout, as: UTF8.self)
            let exact = try #require(try Self.compact(name, "[\"result\"]").first)
            #expect(line.contains("\"offer\":" + exact), "the offer as the API sent it, byte for byte")
        }

        /// The documented lists, as NDJSON (each offer byte-exact) and as CSV rows.
        @Test(arguments: ["list-all-offers.json", "list-all-platform-offers.json"])
        func aDocumentedListIsListedOfferByOffer(name: String) throws {
            let offers = try #require(try Self.fixture(name)["result"]?.elements)
            let market = try PythonMarket("static_reply.py", arguments: [Self.path(name)])
            let ndjson = try CancelRun.run(["list", "--base-url", market.baseURL])
            #expect(ndjson.status == 0, "\(ndjson.stderr)")
            let lines = String(decoding: ndjson.stdout, as: UTF8.self).split(separator: "\n").map(String.init)
            #expect(lines == (try Self.compact(name, "[\"result\"]")))
            let csv = try CancelRun.run(["list", "--base-url", market.baseURL, "--output", "csv"])
            let rows = String(decoding: csv.stdout, as: UTF8.self).components(separatedBy: "\r\n").dropLast()
            let expected = ["id,status,type,price,chain,contract,nftId,nftName,createdOn"] + offers.map { offer in
                [offer["id"], offer["status"], offer["type"], offer["price"], offer.value(atPath: "nft.chain"), offer.value(atPath: "nft.contract.address"),
                 offer.value(atPath: "nft.id"), offer.value(atPath: "nft.name"), offer["createdOn"]].map { $0?.scalarText ?? "" }.joined(separator: ",")
            }
            #expect(Array(rows) == expected, "RFC 4180 rows")
        }

        /// Every status of the documentation's status reference is one `--status` takes.
        @Test func everyDocumentedStatusIsAFilter() throws {
            let statuses = try String(contentsOfFile: Self.path("statuses.txt"), encoding: .utf8).split(separator: "\n").joined(separator: ",")
            let market = try PythonMarket("static_reply.py", arguments: [Self.path("list-all-platform-offers.json")])
            let run = try CancelRun.run(["list", "--base-url", market.baseURL, "--status", statuses])
            #expect(run.status == 0, "\(run.stderr)")
        }

        /// Every key path of `documented` (array elements by their first), with its JSON type;
        /// integers and reals are both numbers.
        static func shape(_ value: JSONValue, _ path: String = "", into shape: inout [String: String]) {
            switch value.kind {
            case .object:
                for (key, member) in value.members {
                    shape[path + "." + key] = kind(member)
                    Self.shape(member, path + "." + key, into: &shape)
                }
            case .array:
                if let first = value.elements.first { Self.shape(first, path + "[]", into: &shape) }
            default:
                break
            }
        }

        static func kind(_ value: JSONValue) -> String {
            switch value.kind {
            case .integer, .real: "number"
            default: "\(value.kind)"
            }
        }

        static func missing(in served: JSONValue, from documented: JSONValue) -> [String] {
            var want: [String: String] = [:], have: [String: String] = [:]
            shape(documented, into: &want)
            shape(served, into: &have)
            return want.filter { have[$0.key] != $0.value }.map { "\($0.key) (\($0.value), served \(have[$0.key] ?? "none"))" }.sorted()
        }

        /// arkane-mock answers the cancel, the offer and the list with every key of the
        /// documented replies, each of the same JSON type. The documentation disagrees with
        /// itself on one key: its cancel example is the seed page's reply (`contract.media` a
        /// string), its offer and list examples give `media` as `[{type, value}]` — the mock's
        /// default shape is the first, `--reply-shape docs` the second.
        @Test(arguments: [("seed", ["cancel-an-offer.json"]), ("docs", ["retrieve-an-offer.json", "list-all-offers.json", "list-all-platform-offers.json"])])
        func theMockServesEveryDocumentedKey(shape: String, documented: [String]) async throws {
            let market = try MockProcess(["--reply-shape", shape, "--seed-offers", "5", "--sold", "1"])
            func get(_ path: String, method: HTTPMethod = .GET) async throws -> JSONValue {
                var request = HTTPClientRequest(url: market.baseURL + path)
                request.method = method
                request.headers.add(name: "Authorization", value: "Bearer mock-token")
                let body = try await HTTPClient.shared.execute(request, timeout: .seconds(30)).body.collect(upTo: 64 << 20)
                return try JSONValue.parse(Array(body.readableBytesView))
            }
            let listed = try await get("/user/offers?status=READY")
            let ready = try #require(listed["result"]?.elements.first?["id"]?.string)
            let cancelled = try await get("/offers/\(ready)/cancel", method: .POST)
            // A first-sight offer is SOLD (--sold 1), as the documentation's example offer is.
            let sold = try await get("/offers/0000aaaa-0000-4000-8000-000000000001")
            #expect(sold.value(atPath: "result.status")?.string == "SOLD")
            let served = ["cancel-an-offer.json": cancelled, "retrieve-an-offer.json": sold, "list-all-offers.json": listed, "list-all-platform-offers.json": listed]
            for name in documented {
                let missing = Self.missing(in: try #require(served[name]), from: try Self.fixture(name))
                #expect(missing.isEmpty, "\(name): \(missing)")
            }
        }
    }
}
