import Foundation
import JSONStream
import Testing
import TestSupport

extension EndToEnd {
    /// Secrets stay secret; hostile replies and absurd flags give records and one-line errors,
    /// never a trap.
    @Suite(.serialized, .machineShare) struct HostileEndToEndTests {
        @Test func aTokenWithACarriageReturnIsAConfigurationErrorThatNeverShowsIt() async throws {
            let market = try MockProcess()
            let ids = try IDFile(count: 20)
            let run = try CancelRun.run(["--base-url", market.baseURL, "--sink", "ndjson:-", ids.path], environment: ["ARKANE_TOKEN": "tok-SECRET\r"])
            #expect(run.status == 2)
            #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
            #expect(run.stderr.contains("ARKANE_TOKEN contains a carriage return"))
            #expect(!run.stderr.contains("tok-SECRET") && !String(decoding: run.stdout, as: UTF8.self).contains("tok-SECRET"))
            #expect(try await market.stats()["requests"]?["cancel"] == nil)
        }

        @Test(arguments: ["http://127.0.0.1.nip.io", "http://127.attacker.example:8080"])
        func aBearerTokenNeverTravelsInClearToAHostThatOnlyLooksLocal(url: String) throws {
            let ids = try IDFile(count: 1)
            let run = try CancelRun.run(["--base-url", url, "--sink", "ndjson:-", ids.path])
            #expect(run.status == 2)
            #expect(run.stderr.contains("refusing to send a bearer token over plain http://"))
        }

        @Test func theExecConsumerGetsNoSecret() throws {
            let scratch = try Scratch()
            let out = scratch.file("env.txt")
            let ids = try IDFile(count: 3)
            let run = try CancelRun.run(["--dry-run", "--sink", "exec:cat > /dev/null; env > '\(out)'", ids.path],
                                        environment: ["ARKANE_TOKEN": "tok-SECRET", "ARKANE_CLIENT_SECRET": "cs-SECRET"])
            #expect(run.status == 0, "\(run.stderr)")
            let env = try String(contentsOfFile: out, encoding: .utf8)
            #expect(!env.contains("SECRET") && !env.contains("ARKANE_"))
        }

        @Test(arguments: [["--timeout", "inf"], ["--retry-after-cap", "1e300"], ["--confirm-timeout", "nan"], ["--grace", "inf"], ["--backoff-base", "9223372036854775807"]])
        func absurdSecondsAreUsageErrors(flags: [String]) throws {
            let ids = try IDFile(count: 1)
            let run = try CancelRun.run(["--dry-run"] + flags + [ids.path])
            #expect(run.status == 2)
            #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
        }

        /// Retry-After inf and 1e20, negative, a 5 MB body, 200 junk headers: each a record's
        /// retry, never a trap; the last answer is the API's and is recorded. Five failures
        /// per offer are five times the load: under the defaults the retry budget would rightly
        /// refuse them, so the replies are tested with `--fixed-concurrency` (no budget).
        @Test func hostileRepliesAreRetriedNotFatal() throws {
            let server = try PythonMarket("hostile_market.py")
            let url = server.baseURL
            let ids = try IDFile(count: 8)
            let run = try CancelRun.run(["--base-url", url, "--fixed-concurrency", "--max-attempts", "8", "--retry-after-cap", "0.05", "--backoff-base", "10",
                                         "--probe", "0", "--sink", "ndjson:-", ids.path])
            #expect(run.status == 0, "\(run.stderr)")
            let records = try run.records()
            #expect(records.count == 8)
            #expect(records.allSatisfy { $0["outcome"]?.string == "cancelled" && $0["attempts"]?.integer == 6 })
            #expect(records.allSatisfy { $0["nftId"]?.string == String(repeating: "1", count: 78) })
            withExtendedLifetime(server) {}
        }
    }
}
