import JSONStream
import OfferCancelKit

/// The fields of one logged record that a report reads; the rest of the line is ignored.
public struct LoggedRecord: Sendable {
    public var seq: Int?
    public var source: String?
    public var offerId: String
    public var outcome: Outcome
    public var httpStatus: Int?
    public var attempts: Int
    public var latencyMs: Double?
    public var waitMs: Double?
    public var startedAt: Timestamp?
    public var finishedAt: Timestamp?
    public var errorCode: String?
    public var errorMessage: String?
    public var confirmed: Bool?

    public init(offerId: String, outcome: Outcome, seq: Int? = nil, source: String? = nil) {
        self.offerId = offerId
        self.outcome = outcome
        self.seq = seq
        self.source = source
        attempts = 0
    }

    /// What a report needs of each record.
    private static let fieldsRead = CancelRecord.Selection("seq", "source", "httpStatus", "attempts", "latencyMs", "waitMs",
                                                           "startedAt", "finishedAt", "errorCode", "errorMessage", "confirmed")

    /// The record a log line holds, read through `CancelRecord.fields`; `nil` when the line
    /// is not a record (no `offerId` string or no known `outcome`).
    public init?(_ json: JSONValue) {
        guard let logged = CancelRecord.Logged(json, reading: Self.fieldsRead) else { return nil }
        let record = logged.record
        self.init(offerId: record.offerId, outcome: record.outcome, seq: logged.seq, source: logged.source)
        httpStatus = record.httpStatus
        attempts = max(0, record.attempts)
        latencyMs = record.latencyMs
        waitMs = record.waitMs
        startedAt = record.startedAt
        finishedAt = record.finishedAt
        errorCode = record.errorCode
        errorMessage = record.errorMessage
        confirmed = record.confirmed
    }

    /// Not settled, so worth sending again: it failed, was skipped, or is a final answer that
    /// does not settle the offer (`Outcome.settles(confirmed:)`: a cancel not seen CLOSED in
    /// time) — the rule `--resume` follows too.
    public var isUnsettled: Bool {
        outcome == .failed || outcome == .skipped || outcome.isFinalAnswer && !outcome.settles(confirmed: confirmed)
    }
}
