@testable import OfferCancelKit
import Testing

/// What `verify` records for each thing a read of an offer can find.
@Suite struct ReadJudgementTests {
    @Test(arguments: [
        (Outcome.cancelled, "CLOSED" as String?, Outcome.alreadyClosed, true as Bool?),
        (.cancelled, "CLOSING_OFFER", .alreadyClosed, false),
        (.cancelled, "READY", .failed, false),
        (.cancelled, "SOLD", .failed, false),
        (.cancelled, nil, .failed, false),
        (.notFound, nil, .notFound, false),
        (.forbidden, nil, .forbidden, false),
        (.failed, nil, .failed, false),
        (.skipped, nil, .skipped, nil),
    ])
    func aReadIsJudgedByTheOffersStatus(read: Outcome, status: String?, outcome: Outcome, confirmed: Bool?) {
        var record = CancelRecord(seq: 1, source: "run.ndjson", line: 1, offerId: "id", outcome: read)
        record.offerStatus = status
        record.judgeRead()
        #expect(record.outcome == outcome)
        #expect(record.confirmed == confirmed)
        #expect(record.outcome.settles(confirmed: record.confirmed) == (confirmed == true), "only a CLOSED offer is settled for --resume")
    }
}
