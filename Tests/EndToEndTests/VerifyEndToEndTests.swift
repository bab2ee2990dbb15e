import Foundation
import JSONStream
import Testing
import TestSupport

extension EndToEnd {
    /// `offer-cancel verify`: the offers a job's logs show cancelled, read back from the market.
    @Suite(.serialized, .machineShare) struct VerifyEndToEndTests {
        let scratch: Scratch

        init() throws { scratch = try Scratch() }

        func records(_ path: String) throws -> [JSONValue] {
            try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { try JSONValue.parse(String($0)) }
        }

        func offerReads(_ market: MockProcess) async throws -> Int64 {
            try await market.stats()["requests"]?["offer"]?.integer ?? -1
        }

        /// Offers stay CLOSING_OFFER for 15 s after their cancel: a verify at once finds none
        /// CLOSED and exits 1; after the delay, resumed from its own log, it reads again only
        /// those and exits 0; a third, resumed, reads nothing. (15 s, not less: under
        /// AddressSanitizer a 2 s delay had passed for the first offers before the verify read
        /// them.)
        @Test func aJobIsProvedDoneOnceItsOffersClose() async throws {
            let market = try MockProcess(["--close-delay-ms", "15000"])
            let ids = try IDFile(count: 100)
            let log = scratch.file("run.ndjson"), proof = scratch.file("verify.ndjson")
            let cancel = try CancelRun.run(["--base-url", market.baseURL, "-q", "--sink", "ndjson:\(log)", ids.path])
            #expect(cancel.status == 0, "\(cancel.stderr)")
            let allClosed = ContinuousClock.now + .seconds(16)

            let early = try CancelRun.run(["verify", "--base-url", market.baseURL, "--sink", "ndjson:\(proof)", "--sink", "summary", log])
            #expect(early.status == 1, "offers still closing: \(early.stderr)")
            let first = try records(proof)
            #expect(first.count == 100)
            #expect(first.allSatisfy { $0["outcome"]?.string == "already_closed" && $0["confirmed"]?.bool == false && $0["offerStatus"]?.string == "CLOSING_OFFER" })
            #expect(early.stderr.contains("100 not seen CLOSED (CLOSING_OFFER ×100)"), "\(early.stderr)")

            try await Task.sleep(until: allClosed)
            let later = try CancelRun.run(["verify", "--base-url", market.baseURL, "--resume", proof, "--sink", "ndjson:+\(proof)", log])
            #expect(later.status == 0, "every offer CLOSED now: \(later.stderr)")
            let second = try records(proof).dropFirst(100)
            #expect(second.count == 100)
            #expect(second.allSatisfy { $0["outcome"]?.string == "already_closed" && $0["confirmed"]?.bool == true && $0["offerStatus"]?.string == "CLOSED" })
            #expect(Set(second.compactMap { $0["offerId"]?.string }) == Set(ids.ids))

            let readsBefore = try await offerReads(market)
            let again = try CancelRun.run(["verify", "--base-url", market.baseURL, "--resume", proof, "--sink", "ndjson:+\(proof)", log])
            #expect(again.status == 0, "\(again.stderr)")
            #expect(try await offerReads(market) == readsBefore, "nothing left to read")
            #expect(again.stderr.contains("passed over 100 items the log settled"), "\(again.stderr)")
            #expect(try await market.stats()["requests"]?["cancel"]?.integer == 100, "verify sent no cancel")
        }

        /// A job of two logs (a run and its resume, which met some offers again): each offer
        /// recorded cancelled or already_closed is read once; the others are not read at all.
        /// An offer the logs call cancelled that is READY at the market fails the verify.
        @Test func eachCancelledOfferIsReadOnceAndAnOpenOneFails() async throws {
            // Cancelled offers CLOSED at once: with the market's default 500 ms of CLOSING_OFFER,
            // a verify that follows a quick run reads the last offers "not closed".
            let market = try MockProcess(["--close-delay-ms", "0"])
            let ids = try IDFile(count: 100)
            let log = scratch.file("run.ndjson"), resumed = scratch.file("resumed.ndjson")
            let cancel = try CancelRun.run(["--base-url", market.baseURL, "-q", "--sink", "ndjson:\(log)", ids.path])
            #expect(cancel.status == 0, "\(cancel.stderr)")
            let open = try IDFile(count: 3, salt: 7)
            let resumedLines = ids.ids.prefix(40).map { #"{"offerId":"\#($0)","outcome":"already_closed"}"# }
                + open.ids.map { #"{"offerId":"\#($0)","outcome":"cancelled"}"# }
                + (0..<5).map { #"{"offerId":"\#(testID(1_000 + $0))","outcome":"not_found"}"# }
                + (0..<5).map { #"{"offerId":"\#(testID(2_000 + $0))","outcome":"failed"}"# }
                + ["{\"offerId\":\"torn"]
            try resumedLines.joined(separator: "\n").write(toFile: resumed, atomically: true, encoding: .utf8)

            let verify = try CancelRun.run(["verify", "--base-url", market.baseURL, "-q", "--sink", "ndjson:-", log, resumed])
            #expect(verify.status == 1, "three offers are open: \(verify.stderr)")
            let read = try verify.records()
            #expect(read.count == 103)
            #expect(Set(read.compactMap { $0["offerId"]?.string }).count == 103, "one record per offer")
            #expect(try await offerReads(market) == 103, "each read once, the not_found and failed ones not at all")
            let failed = read.filter { $0["outcome"]?.string == "failed" }
            #expect(Set(failed.compactMap { $0["offerId"]?.string }) == Set(open.ids))
            #expect(failed.allSatisfy { $0["confirmed"]?.bool == false && $0["errorMessage"]?.string == "the offer is READY: not closed" })
        }

        /// A CSV record log is verified as its NDJSON twin: the run's csv and ndjson sinks name
        /// the same offers, read once each across both logs (a quoted field with a comma and a
        /// line break inside does not shift a column); a CSV log without an outcome column is
        /// one line and exit 2 before any read.
        @Test func aCSVRecordLogIsVerifiedAsItsNDJSONTwin() async throws {
            // CLOSED at once, as above (CI's plain suite read one still CLOSING_OFFER).
            let market = try MockProcess(["--close-delay-ms", "0"])
            let ids = try IDFile(count: 60)
            let input = scratch.file("input.txt")
            try (ids.ids + ["not-an-id", ids.ids[0]]).joined(separator: "\n").write(toFile: input, atomically: true, encoding: .utf8)
            let csv = scratch.file("run.csv"), ndjson = scratch.file("run.ndjson")
            let cancel = try CancelRun.run(["--base-url", market.baseURL, "-q", "--sink", "csv:\(csv)", "--sink", "ndjson:\(ndjson)", input])
            #expect(cancel.status == 1, "an invalid ID: \(cancel.stderr)")
            let quoted = scratch.file("quoted.csv")
            try "note,offerId,outcome\n\"a, \"\"quoted\"\"\nnote\",\(testID(5_000)),cancelled\n".write(toFile: quoted, atomically: true, encoding: .utf8)

            let fromCSV = try CancelRun.run(["verify", "--base-url", market.baseURL, "-q", "--sink", "ndjson:-", csv, quoted])
            #expect(fromCSV.status == 1, "the quoted row's offer was never cancelled: \(fromCSV.stderr)")
            let read = try fromCSV.records()
            #expect(Set(read.compactMap { $0["offerId"]?.string }) == Set(ids.ids + [testID(5_000)]) && read.count == 61)
            let fromBoth = try CancelRun.run(["verify", "--base-url", market.baseURL, "-q", "--sink", "ndjson:-", ndjson, csv])
            #expect(fromBoth.status == 0, "\(fromBoth.stderr)")
            #expect(try fromBoth.records().count == 60, "each offer once across both logs")

            let noOutcome = scratch.file("ids-only.csv")
            try "offerId\n\(ids.ids[0])\n".write(toFile: noOutcome, atomically: true, encoding: .utf8)
            let reads = try await offerReads(market)
            let refused = try CancelRun.run(["verify", "--base-url", market.baseURL, "--sink", "ndjson:-", csv, noOutcome])
            #expect(refused.status == 2)
            #expect(refused.stderr.contains("no outcome column") && refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
            #expect(try await offerReads(market) == reads, "nothing read")
        }

        /// verify's help names only what verify honours: none of the options of sending and
        /// confirming a cancel, which `cancel`'s help lists.
        @Test func theHelpListsNoOptionOfSendingACancel() throws {
            let sendingOptions: Set = ["--cancel-method", "--confirm", "--confirm-timeout", "--confirm-concurrency"]
            /// The options a help text names, wherever they stand (`[--confirm]` in the usage line).
            func options(_ help: Data) -> Set<String> {
                Set(String(decoding: help, as: UTF8.self).split(whereSeparator: \.isWhitespace)
                    .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "[]().,")) }.filter { $0.hasPrefix("--") })
            }
            let verify = try CancelRun.run(["verify", "--help"])
            #expect(verify.status == 0)
            #expect(options(verify.stdout).isSuperset(of: ["--concurrency", "--max-attempts", "--resume", "--sink"]), "\(options(verify.stdout))")
            #expect(options(verify.stdout).isDisjoint(with: sendingOptions), "\(options(verify.stdout))")
            let cancel = try CancelRun.run(["help", "cancel"])
            #expect(options(cancel.stdout).isSuperset(of: sendingOptions), "\(options(cancel.stdout))")
        }

        /// Misuse is one line and exit 2, before anything is read or written: no log, an option
        /// of the cancel run's, a sink over the log being read.
        @Test func misuseIsOneLineAndTheLogIsKept() throws {
            let log = scratch.file("run.ndjson")
            let line = #"{"offerId":"\#(testID(1))","outcome":"cancelled"}"# + "\n"
            try line.write(toFile: log, atomically: true, encoding: .utf8)
            for (arguments, message) in [
                (["verify", "--mock"], "name the record logs to verify"),
                (["verify", "--mock", "--confirm", log], "Unknown option '--confirm'"),
                (["verify", "--mock", "--cancel-method", "POST", log], "Unknown option '--cancel-method'"),
                (["verify", "--mock", "--sink", "ndjson:\(log)", log], "would write over an input of this run"),
                (["verify", "--mock", scratch.file("missing.ndjson")], "No such file or directory"),
            ] {
                let run = try CancelRun.run(arguments)
                #expect(run.status == 2, "\(arguments): \(run.stderr)")
                #expect(run.stderr.contains(message) && run.stderr.split(separator: "\n").count == 1, "\(arguments): \(run.stderr)")
            }
            #expect(try String(contentsOfFile: log, encoding: .utf8) == line)
        }
    }
}
