import Foundation
import JSONStream
import Testing
import TestSupport

extension EndToEnd {
    /// The production path: HTTPS, over HTTP/1.1 and over HTTP/2, with a CA made for the test.
    /// An untrusted certificate stops the run at once; nothing is recorded cancelled.
    @Suite(.serialized, .machineShare) struct TLSEndToEndTests {
        let scratch: Scratch

        init() throws { scratch = try Scratch() }

        /// `arkane-mock` serving HTTPS with a fresh CA in `folder`.
        func market(_ folder: String, _ arguments: [String] = []) throws -> MockProcess {
            try MockProcess(["--tls-self-signed", scratch.file(folder)] + arguments)
        }

        /// The market's stats, fetched over its own TLS with its CA (as `host`, the name its
        /// certificate was issued for).
        func stats(_ market: MockProcess, ca: String, host: String = "127.0.0.1") throws -> JSONValue {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["curl", "-sS", "--cacert", ca, "--resolve", "\(host):\(market.port):127.0.0.1",
                                 "https://\(host):\(market.port)/__mock/stats"]
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return try JSONValue.parse(Array(data))
        }

        /// Every offer cancelled at its first attempt, over the protocol the market offers. 600
        /// offers: past the 200 reset streams after which an HTTP/2 server closes a connection
        /// (NIOHTTP2's glitch limit), which a client that reset each finished stream met.
        @Test(arguments: [(["--http2"], "h2"), ([], "http/1.1")])
        func httpsCancelsEveryOffer(marketFlags: [String], expectedProtocol: String) throws {
            let market = try market("tls", marketFlags)
            #expect(market.baseURL.hasPrefix("https://127.0.0.1:"))
            let ca = scratch.file("tls/ca.pem")
            let ids = try IDFile(count: 600)
            let run = try CancelRun.run(["--base-url", market.baseURL, "--cacert", ca, "--sink", "ndjson:-", ids.path])
            #expect(run.status == 0, "\(run.stderr)")
            let records = try run.records()
            #expect(records.count == 600)
            #expect(records.allSatisfy { $0["outcome"]?.string == "cancelled" && $0["attempts"]?.integer == 1 }, "\(outcomeCounts(records))")
            let stats = try stats(market, ca: ca)
            #expect(stats["protocols"]?[expectedProtocol]?.integer == 600, "every request over \(expectedProtocol): \(stats["protocols"].map { "\($0)" } ?? "")")
            #expect(stats["protocols"]?.count == 1)
        }

        /// Client credentials over HTTPS: the token endpoint on the same TLS.
        @Test func clientCredentialsOverHTTPS() throws {
            let market = try market("tls", ["--http2"])
            let ids = try IDFile(count: 20)
            let run = try CancelRun.run(
                ["--base-url", market.baseURL, "--auth-url", market.baseURL, "--cacert", scratch.file("tls/ca.pem"), "--sink", "ndjson:-", ids.path],
                environment: ["ARKANE_CLIENT_ID": "mock-client", "ARKANE_CLIENT_SECRET": "mock-secret"])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(try run.records().count == 20)
        }

        /// A CA the client does not trust, or a certificate for another host: exit 3, one line
        /// saying why, every offer `skipped` (not sent), and the market saw no cancel.
        @Test(arguments: [
            ("no --cacert", [], [String](), "could not be verified"),
            ("another CA", ["--cacert"], [String](), "could not be verified"),
            ("another host", ["--cacert"], ["--tls-hosts", "api.example.com"], "was not issued for this host name"),
        ])
        func anUntrustedServerStopsTheRunBeforeAnyCancel(_ name: String, cacert: [String], marketFlags: [String], reason: String) throws {
            let market = try market("tls", marketFlags)
            _ = try self.market("other")  // a second CA, to trust instead of the market's
            let trusted = cacert.isEmpty ? [] : ["--cacert", scratch.file(marketFlags.isEmpty ? "other/ca.pem" : "tls/ca.pem")]
            let ids = try IDFile(count: 50)
            let log = scratch.file("run.ndjson")
            // --timeout bounds the connection attempts too (AsyncHTTPClient retries a failed handshake until then).
            let run = try CancelRun.run(["--base-url", market.baseURL, "--timeout", "2", "--sink", "ndjson:\(log)"] + trusted + [ids.path])
            #expect(run.status == 3, "\(name): \(run.stderr)")
            #expect(run.stderr.contains("aborted: TLS: the server's certificate \(reason)"), "\(name): \(run.stderr)")
            let records = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map { try JSONValue.parse(String($0)) }
            #expect(records.count == 50)
            #expect(records.allSatisfy { $0["outcome"]?.string == "skipped" }, "\(name): \(outcomeCounts(records))")
            let stats = try stats(market, ca: scratch.file("tls/ca.pem"), host: marketFlags.isEmpty ? "127.0.0.1" : "api.example.com")
            #expect(stats["requests"]?["cancel"] == nil, "\(name): no cancel reached the market")
        }

        /// With client credentials, the token endpoint's certificate is checked first: one
        /// attempt (an untrusted certificate stays untrusted), exit 3, nothing sent.
        @Test func anUntrustedTokenEndpointStopsTheRunAtOnce() throws {
            let market = try market("tls")
            let ids = try IDFile(count: 10)
            let started = Date()
            let run = try CancelRun.run(["--base-url", market.baseURL, "--auth-url", market.baseURL, "--timeout", "2", "--sink", "ndjson:-", ids.path],
                                        environment: ["ARKANE_CLIENT_ID": "mock-client", "ARKANE_CLIENT_SECRET": "mock-secret"])
            #expect(run.status == 3, "\(run.stderr)")
            #expect(run.stderr.contains("TLS: the server's certificate could not be verified"), "\(run.stderr)")
            #expect(!run.stderr.contains("attempts in"), "not retried: \(run.stderr)")
            #expect(Date().timeIntervalSince(started) < 20, "one attempt, not the 30 s of retries an outage gets")
            #expect(try run.records().allSatisfy { $0["outcome"]?.string == "skipped" })
        }

        @Test(arguments: ["missing.pem", "junk.pem"])
        func anUnreadableCAFileIsMisuse(file: String) throws {
            try scratch.file("junk.pem", "not a certificate\n")
            let log = scratch.file("never.ndjson")
            let run = try CancelRun.run(["--base-url", "https://127.0.0.1:9", "--cacert", scratch.file(file), "--sink", "ndjson:\(log)", "-"], stdin: Data())
            #expect(run.status == 2)
            #expect(run.stderr.contains("--cacert \(scratch.file(file)): cannot read PEM certificates"), "\(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count == 1, "one line: \(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: log), "no sink file before the configuration is valid")
        }
    }
}
