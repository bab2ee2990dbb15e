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

    /// The record a log line holds; `nil` when the line is not a record (no `offerId` string
    /// or no known `outcome`).
    public init?(_ json: JSONValue) {
        guard let offerId = json["offerId"]?.string, let text = json["outcome"]?.string, let outcome = Outcome(rawValue: text) else { return nil }
        self.init(offerId: offerId, outcome: outcome, seq: json["seq"]?.integer.map { Int($0) }, source: json["source"]?.string)
        httpStatus = json["httpStatus"]?.integer.map { Int($0) }
        attempts = json["attempts"]?.integer.map { Int(clamping: max(0, $0)) } ?? 0
        latencyMs = json["latencyMs"]?.number
        waitMs = json["waitMs"]?.number
        startedAt = json["startedAt"]?.string.flatMap(Timestamp.init(rfc3339:))
        finishedAt = json["finishedAt"]?.string.flatMap(Timestamp.init(rfc3339:))
        errorCode = json["errorCode"]?.string
        errorMessage = json["errorMessage"]?.string
        confirmed = json["confirmed"]?.bool
    }

    /// Not settled, so worth sending again: it failed, was skipped, or is a final answer that
    /// does not settle the offer (`Outcome.settles(confirmed:)`: a cancel not seen CLOSED in
    /// time) — the rule `--resume` follows too.
    public var isUnsettled: Bool {
        outcome == .failed || outcome == .skipped || outcome.isFinalAnswer && !outcome.settles(confirmed: confirmed)
    }
}
