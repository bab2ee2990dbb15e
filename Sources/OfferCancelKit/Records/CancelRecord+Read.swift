extension CancelRecord {
    /// Turns the record of a read (`GET /offers/{id}`, `offer-cancel verify`) into what it
    /// says of the cancel: an offer CLOSED is `already_closed` and `confirmed`; one still
    /// CLOSING_OFFER is `already_closed`, not `confirmed`; any other status is `failed` (the
    /// cancel did not hold). A read that got no offer keeps its outcome (`not_found`,
    /// `failed`…) and is not `confirmed`; one never sent (`skipped`) says nothing.
    mutating func judgeRead() {
        guard outcome == .cancelled else {
            if outcome.wasSent { confirmed = false }
            return
        }
        switch offerStatus {
        case "CLOSED"?:
            outcome = .alreadyClosed
            confirmed = true
        case "CLOSING_OFFER"?:
            outcome = .alreadyClosed
            confirmed = false
            errorMessage = "the offer is CLOSING_OFFER: cancelled, not CLOSED yet"
        case let status:
            outcome = .failed
            confirmed = false
            errorMessage = "the offer is \(status ?? "without a status"): not closed"
        }
    }
}
