import Foundation
import JSONStream

/// Reads a cancel reply into an outcome: HTTP status first, the API's error code second,
/// the error message third. Keeps the raw code, message and trace code for the record.
enum ReplyClassifier {
    /// The verdict on one reply.
    struct Verdict {
        /// `nil` while the reply is worth retrying (the final try becomes `failed`).
        var outcome: Outcome?
        var retryable: Bool
        var errorCode: String?
        var errorMessage: String?
        var traceCode: String?
        var offer: JSONValue?
    }

    /// Error codes of the (simulated) API and what they mean; see README "Error codes".
    static let knownCodes: [String: Outcome] = [
        "offer.already-closed": .alreadyClosed,
        "offer.not-cancellable": .notCancellable,
        "offer.not-found": .notFound,
        "offer.not-owner": .forbidden,
    ]

    static func classify(_ reply: MarketClient.Reply) -> Verdict {
        guard let status = reply.status else {
            return Verdict(outcome: nil, retryable: true, errorCode: nil, errorMessage: reply.transportError ?? reply.bodyError)
        }
        let error = reply.body?["errors"]?[0]
        var verdict = Verdict(
            outcome: nil,
            retryable: false,
            errorCode: error?["code"]?.scalarText,
            errorMessage: error?["message"]?.string,
            traceCode: error?["traceCode"]?.scalarText
        )
        if status == 200 {
            guard let body = reply.body else {
                verdict.retryable = true
                verdict.errorMessage = reply.bodyError ?? "reply is not JSON"
                return verdict
            }
            guard body["success"]?.bool == true else {
                verdict.outcome = .failed
                verdict.errorMessage = verdict.errorMessage ?? "HTTP 200 with \"success\": false"
                return verdict
            }
            verdict.offer = body["result"]
            verdict.outcome = .cancelled
            return verdict
        }
        if RetryPolicy.isRetryable(status: status) {
            verdict.retryable = true
            verdict.errorMessage = verdict.errorMessage ?? reply.bodyError ?? "HTTP \(status)"
            return verdict
        }
        switch status {
        case 404: verdict.outcome = .notFound
        case 403: verdict.outcome = .forbidden
        default: verdict.outcome = byCode(verdict.errorCode) ?? byMessage(verdict.errorMessage) ?? .failed
        }
        if verdict.errorMessage == nil { verdict.errorMessage = reply.bodyError ?? "HTTP \(status)" }
        return verdict
    }

    private static func byCode(_ code: String?) -> Outcome? {
        guard let code else { return nil }
        if let known = knownCodes[code] { return known }
        let normalized = code.lowercased().replacingOccurrences(of: "_", with: "-")
        if normalized.contains("already-closed") || normalized.contains("already-cancel") { return .alreadyClosed }
        if normalized.contains("not-cancellable") || normalized.contains("not-cancelable") { return .notCancellable }
        return nil
    }

    private static func byMessage(_ message: String?) -> Outcome? {
        guard let message = message?.uppercased() else { return nil }
        if message.contains("CLOSING_OFFER") || message.contains("CLOSED") { return .alreadyClosed }
        if ["SOLD", "REFUSED", "TERMINATED"].contains(where: message.contains) { return .notCancellable }
        return nil
    }
}
