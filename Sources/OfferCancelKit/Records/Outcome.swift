/// What became of one input item. The raw values are the public contract (NDJSON, CSV,
/// summaries).
public enum Outcome: String, Sendable, CaseIterable, Comparable {
    /// Cancel accepted (HTTP 200, `success: true`); the offer is on its way to CLOSED.
    case cancelled
    /// The offer was already CLOSED or CLOSING_OFFER: nothing to do.
    case alreadyClosed = "already_closed"
    /// 404.
    case notFound = "not_found"
    /// 403: not the caller's offer.
    case forbidden
    /// SOLD, REFUSED, TERMINATED…: the offer cannot be cancelled.
    case notCancellable = "not_cancellable"
    /// Retries exhausted, 5xx, network error, malformed reply, or 200 with `success: false`.
    case failed
    /// Failed local validation; never sent.
    case invalidID = "invalid_id"
    /// Seen earlier in this run; never sent.
    case duplicate
    /// The run was aborted before this ID was sent.
    case skipped
    /// `--dry-run`: nothing sent.
    case dryRun = "dry_run"

    /// Whether this outcome leaves the run successful (exit 0) — the "ok" class.
    public var isOK: Bool {
        switch self {
        case .cancelled, .alreadyClosed, .duplicate, .dryRun: true
        default: false
        }
    }

    /// Whether it is the API's final answer about the offer: a second request would get the
    /// same (unless the user asks for one with `--retry-outcomes`).
    public var isFinalAnswer: Bool {
        switch self {
        case .cancelled, .alreadyClosed, .notFound, .forbidden, .notCancellable: true
        default: false
        }
    }

    /// Whether a record with this outcome settles its offer, the one rule of `--resume` (which
    /// passes over it) and `report` (which does not list it to send again): a final answer,
    /// which under `--confirm` was also seen CLOSED (`confirmed` is not `false`) — the user
    /// asked for CLOSED, not for a cancel on its way.
    public func settles(confirmed: Bool?) -> Bool {
        isFinalAnswer && confirmed != false
    }

    /// Whether an item whose record ends so is worth sending again (`report --failed`): it
    /// failed, was skipped, or is a final answer that does not ``settles(confirmed:)`` its offer.
    public func sendsAgain(confirmed: Bool?) -> Bool {
        self == .failed || self == .skipped || isFinalAnswer && !settles(confirmed: confirmed)
    }

    /// Whether a request was sent for it.
    public var wasSent: Bool {
        switch self {
        case .invalidID, .duplicate, .skipped, .dryRun: false
        default: true
        }
    }

    public static func < (lhs: Outcome, rhs: Outcome) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
