import JSONStream
@testable import OfferCancelKit
import RunReport
import Testing
import TestSupport

/// `--resume` and `report` follow one rule for a settled offer (``Outcome/settles(confirmed:)``):
/// they once disagreed on a cancel never seen CLOSED under `--confirm`, which `--resume`
/// passed over and `report --failed` sent again.
@Suite struct SettledTests {
    @Test(arguments: [
        (Outcome.cancelled, nil as Bool?, true),
        (.cancelled, true, true),
        (.cancelled, false, false),
        (.alreadyClosed, false, false),
        (.notFound, nil, true),
        (.notCancellable, nil, true),
        (.failed, nil, false),
        (.skipped, nil, false),
    ])
    func resumeAndReportAgree(outcome: Outcome, confirmed: Bool?, settled: Bool) throws {
        let id = "00000000-0000-4000-8000-000000000001"
        let confirmedField = confirmed.map { #","confirmed":\#($0)"# } ?? ""
        let line = #"{"seq":1,"source":"ids.txt","offerId":"\#(id)","outcome":"\#(outcome.rawValue)"\#(confirmedField)}"#
        let scratch = try Scratch()
        let log = try scratch.file("log.ndjson", line + "\n")
        let validator = try IDValidator()
        let resume = try ResumeLog(path: log, validator: validator)
        #expect((resume.settledOutcome(of: try validator.validate(id).get()) != nil) == settled, "--resume")
        let record = try #require(CancelRecord.Logged(try JSONValue.parse(Array(line.utf8))))
        #expect(record.outcome.sendsAgain(confirmed: record.confirmed) == !settled, "report")
    }
}
