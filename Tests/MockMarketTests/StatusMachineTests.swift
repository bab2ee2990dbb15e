import Foundation
import JSONStream
import MockMarket
import Testing
import TestSupport

@Suite(.serverShare) struct StatusMachineTests {
    static let owner = MarketConfiguration().ownerID

    @Test func readyOfferIsCancelledThenClosingThenClosed() async throws {
        try await MarketHarness.with({ $0.closeDelay = .seconds(3) }) { market in
            let id = testID(1)
            let started = ContinuousClock.now
            let accepted = try await market.cancel(id)
            #expect(accepted.status == 200)
            #expect(accepted.json?["success"]?.bool == true)
            #expect(accepted.json?.value(atPath: "result.status")?.string == "READY", "like the seed: the offer as it was")
            let closing = try await market.request("/offers/\(id)").json?.value(atPath: "result.status")?.string
            let again = try await market.cancel(id)
            if ContinuousClock.now - started < .seconds(3) {  // still inside the close delay
                #expect(closing == "CLOSING_OFFER")
            }
            #expect(again.status == 409)
            #expect(again.errorCode == "offer.already-closed")
            var status = closing
            while status != "CLOSED", ContinuousClock.now - started < .seconds(10) {
                try await Task.sleep(for: .milliseconds(200))
                status = try await market.request("/offers/\(id)").json?.value(atPath: "result.status")?.string
            }
            #expect(status == "CLOSED")
            #expect(ContinuousClock.now - started >= .seconds(3), "not before the close delay")
            let closed = try await market.cancel(id)
            #expect(closed.status == 409)
            #expect(closed.errorCode == "offer.already-closed")
            #expect(closed.json?["errors"]?[0]?["traceCode"]?.string?.isEmpty == false)
        }
    }

    @Test(arguments: [
        (OfferStatus.new, 200, nil),
        (.ready, 200, nil),
        (.closingOffer, 409, "offer.already-closed"),
        (.closed, 409, "offer.already-closed"),
        (.sold, 409, "offer.not-cancellable"),
        (.refused, 409, "offer.not-cancellable"),
        (.terminated, 409, "offer.not-cancellable"),
        (.error, 409, "offer.not-cancellable"),
    ] as [(OfferStatus, Int, String?)])
    func cancelAnswersByStatus(status: OfferStatus, httpStatus: Int, code: String?) async throws {
        try await MarketHarness.with({ $0.offers = [MockOffer(id: testID(7), status: status, ownerID: Self.owner)] }) { market in
            let reply = try await market.cancel(testID(7))
            #expect(reply.status == httpStatus)
            #expect(reply.errorCode == code)
        }
    }

    @Test func otherOwnersOfferIsForbiddenAndUnknownIsNotFound() async throws {
        try await MarketHarness.with({
            $0.offers = [MockOffer(id: testID(2), ownerID: "someone-else")]
            $0.createsOffersOnFirstSight = false
        }) { market in
            let forbidden = try await market.cancel(testID(2))
            #expect(forbidden.status == 403)
            #expect(forbidden.errorCode == "offer.not-owner")
            let missing = try await market.cancel(testID(3))
            #expect(missing.status == 404)
            #expect(missing.errorCode == "offer.not-found")
            #expect(try await market.request("/offers/\(testID(3))").status == 404)
        }
    }

    @Test func notAUUIDIsNotFoundEvenOnFirstSight() async throws {
        let status = try await MarketHarness.with { market in try await market.cancel("not-a-uuid").status }
        #expect(status == 404)
    }

    @Test func scenarioAssignsFatesAtTheirShares() async throws {
        try await MarketHarness.with({ $0.scenario = .mixed }) { market in
            let total = 3000
            var seen: [Int: Int] = [:]
            for n in 0..<total { seen[try await market.cancel(testID(n)).status, default: 0] += 1 }
            let share = { (status: Int) in Double(seen[status, default: 0]) / Double(total) }
            #expect(abs(share(200) - 0.70) < 0.04)
            #expect(abs(share(409) - 0.20) < 0.03)  // closed + closing + sold
            #expect(abs(share(404) - 0.05) < 0.02)
            #expect(abs(share(403) - 0.05) < 0.02)
            // The same IDs meet the same fates in a new market (deterministic by hash).
            try await MarketHarness.with({ $0.scenario = .mixed }) { again in
                for n in 0..<50 {
                    let first = try await market.request("/offers/\(testID(n))").status
                    #expect(try await again.request("/offers/\(testID(n))").status == first)
                }
            }
        }
    }

    @Test func offersCarryEverySeedKeyWithTheSameTypes() async throws {
        let seed = try JSONValue.parse(Array(Data(contentsOf: URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/cancel-offer-response.json"))))
        try await MarketHarness.with { market in
            let reply = try await market.cancel(testID(11))
            let mismatches = shapeDifferences(seed, try #require(reply.json))
            #expect(mismatches.isEmpty, "\(mismatches)")
        }
    }

    @Test func userOffersExportsOwnedOffersInTheListEnvelope() async throws {
        try await MarketHarness.with({
            $0.offers = MockOffer.generated(count: 25, ownerID: Self.owner) + [MockOffer(id: testID(99), ownerID: "other")]
        }) { market in
            let reply = try await market.request("/user/offers")
            #expect(reply.status == 200)
            #expect(reply.json?["success"]?.bool == true)
            let offers = try #require(reply.json?["result"]?.elements)
            #expect(offers.count == 25)
            #expect(offers.allSatisfy { $0["status"]?.string == "READY" && $0["id"]?.string?.count == 36 })
        }
    }

    @Test func fixtureFileLoads() throws {
        let path = NSTemporaryDirectory() + "fixture-\(UUID().uuidString).json"
        try #"{"success":true,"result":[{"id":"AAAAAAAA-0000-4000-8000-000000000001","status":"SOLD"},{"id":"aaaaaaaa-0000-4000-8000-000000000002","owner":"x"}]}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let offers = try MockOffer.fixture(path: path, defaultOwner: "me")
        #expect(offers == [
            MockOffer(id: "aaaaaaaa-0000-4000-8000-000000000001", status: .sold, ownerID: "me"),
            MockOffer(id: "aaaaaaaa-0000-4000-8000-000000000002", status: .ready, ownerID: "x"),
        ])
    }
}

/// Paths where `actual` lacks a key of `expected` or holds another JSON type there.
func shapeDifferences(_ expected: JSONValue, _ actual: JSONValue, path: String = "$") -> [String] {
    guard expected.kind == actual.kind else { return ["\(path): \(expected.kind) vs \(actual.kind)"] }
    switch expected.kind {
    case .object:
        return expected.members.flatMap { member in
            guard let other = actual[member.key] else { return ["\(path).\(member.key) missing"] }
            return shapeDifferences(member.value, other, path: "\(path).\(member.key)")
        }
    case .array:
        guard let first = expected[0] else { return [] }
        guard let other = actual[0] else { return ["\(path)[] empty"] }
        return shapeDifferences(first, other, path: "\(path)[0]")
    default:
        return []
    }
}
