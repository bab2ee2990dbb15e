import Foundation
import JSONStream

/// Reads a cancel reply into an outcome by what the API said, not by the status line alone.
///
/// A reply is the API's answer only when its body is the API's envelope. A 200 needs
/// `"success": true`; a 4xx names an offer's fate (`not_found`, `forbidden`, `already_closed`,
/// `not_cancellable`) only when its body is the error envelope `{"success":false,"errors":[…]}`
/// — the known error code first, the status second, the message (whole words) last, and the
/// message can only ever name a failure. A 4xx without the envelope (an HTML page, an empty
/// body, another service's JSON) is `failed` with the likely cause: the request went astray.
/// 429, 5xx, timeouts and broken replies are retried. Raw code, message and trace code are kept.
public enum ReplyClassifier {
    /// The verdict on one reply.
    public struct Verdict {
        /// `nil` while the reply is worth retrying (the final try becomes `failed`).
        public var outcome: Outcome?
        /// Whether another attempt may get another answer (429, 5xx, no reply, a broken body).
        public var retryable: Bool
        /// The API's error code (`offer.already-closed`…), as the envelope gave it.
        public var errorCode: String?
        /// The envelope's message, or what went wrong with the reply itself.
        public var errorMessage: String?
        /// The envelope's trace code, for the API's support.
        public var traceCode: String?
        /// The cancelled offer (`result`) of a 200.
        public var offer: JSONValue?
    }

    /// Error codes of the (simulated) API and what they mean; see README "Error codes".
    static let knownCodes: [String: Outcome] = [
        "offer.already-closed": .alreadyClosed,
        "offer.not-cancellable": .notCancellable,
        "offer.not-found": .notFound,
        "offer.not-owner": .forbidden,
    ]

    /// The verdict on `reply`.
    public static func classify(_ reply: MarketClient.Reply) -> Verdict {
        guard let status = reply.status else {
            return Verdict(outcome: nil, retryable: true, errorCode: nil, errorMessage: reply.transportError ?? reply.bodyError)
        }
        let envelope = reply.body.flatMap(ErrorEnvelope.init)
        var verdict = Verdict(
            outcome: nil, retryable: false,
            errorCode: envelope?.code, errorMessage: envelope?.message, traceCode: envelope?.traceCode
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
        guard envelope != nil else {
            verdict.outcome = .failed
            verdict.errorMessage = "HTTP \(status) without the API's error envelope: " + likelyCause(status: status)
            return verdict
        }
        verdict.outcome = byCode(verdict.errorCode) ?? byStatus(status) ?? byMessage(verdict.errorMessage) ?? .failed
        if verdict.errorMessage == nil { verdict.errorMessage = "HTTP \(status)" }
        return verdict
    }

    /// What a 4xx that is not the API's answer most likely means.
    static func likelyCause(status: Int) -> String {
        switch status {
        case 404, 405: "check --base-url"
        case 401, 403: "check --base-url and the credentials"
        default: "check --base-url (a proxy or another service answered)"
        }
    }

    private static func byCode(_ code: String?) -> Outcome? {
        guard let code else { return nil }
        if let known = knownCodes[code] { return known }
        let normalized = code.lowercased().replacingOccurrences(of: "_", with: "-")
        if normalized.contains("already-closed") || normalized.contains("already-cancel") { return .alreadyClosed }
        if normalized.contains("not-cancellable") || normalized.contains("not-cancelable") { return .notCancellable }
        if normalized.hasSuffix("not-found") { return .notFound }
        if normalized.hasSuffix("not-owner") || normalized.hasSuffix("forbidden") { return .forbidden }
        return nil
    }

    private static func byStatus(_ status: Int) -> Outcome? {
        switch status {
        case 404: .notFound
        case 403: .forbidden
        default: nil
        }
    }

    /// The message as a last resort: whole words only, and only failures — a message can
    /// never make a reply count as done.
    private static func byMessage(_ message: String?) -> Outcome? {
        guard let message else { return nil }
        let words = Set(message.uppercased().split { !($0.isLetter || $0 == "_") })
        return words.isDisjoint(with: ["SOLD", "REFUSED", "TERMINATED"]) ? nil : .notCancellable
    }
}

/// The API's error envelope, `{"success": false, "errors": [{"code", "traceCode", "message"}, …]}`.
struct ErrorEnvelope {
    var code: String?
    var message: String?
    var traceCode: String?

    /// `nil` unless `body` is the envelope: `success` false and an `errors` array.
    init?(_ body: JSONValue) {
        guard body["success"]?.bool == false, let errors = body["errors"], errors.kind == .array else { return nil }
        let first = errors[0]
        code = first?["code"]?.scalarText
        message = first?["message"]?.string
        traceCode = first?["traceCode"]?.scalarText
    }
}
