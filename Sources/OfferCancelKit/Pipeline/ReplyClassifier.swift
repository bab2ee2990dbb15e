import Foundation
import JSONStream

/// Reads a reply once, into everything the run decides from it: the outcome by what the API
/// said (not by the status line alone), what the reply says about the server's load, whether
/// the cancel may have been applied, and whether to try again.
///
/// A reply is the API's answer only when its body is the API's envelope. A 200 needs
/// `"success": true`; a 4xx names an offer's fate (`not_found`, `forbidden`, `already_closed`,
/// `not_cancellable`) only when its body is the error envelope `{"success":false,"errors":[…]}`
/// — the known error code first, the status second, the message (whole words) last, and the
/// message can only ever name a failure. A 4xx without the envelope (an HTML page, an empty
/// body, another service's JSON) is `failed` with the likely cause: the request went astray.
/// 429, 5xx, timeouts and broken replies are retried. Raw code, message and trace code are kept.
///
/// How a retry waits (its own backoff or the run's pause) and whether it is allowed at all
/// (the retry budget) is the ``Governor``'s to say, from the verdict's ``Verdict/signal``.
public enum ReplyClassifier {
    /// The verdict on one reply.
    public struct Verdict: Sendable {
        /// The final outcome; `nil` while the reply is worth retrying (the final try becomes
        /// `failed`). For a lookup (`GET /offers/{id}`), `.cancelled` means "answered with the
        /// offer": such callers read ``result``.
        public var outcome: Outcome?
        /// What the reply says about the server's load: the governor's input.
        public var signal: FlowSignal
        /// Whether the cancel may have been applied though this reply does not say so: no reply,
        /// one broken off, a broken 200, a 5xx.
        public var mayHaveApplied: Bool
        /// The wait the server asked for before the next try, as `Retry-After` said.
        public var retryAfter: Duration?
        /// The API's error code (`offer.already-closed`…), as the envelope gave it.
        public var errorCode: String?
        /// The envelope's message, or what went wrong with the reply itself.
        public var errorMessage: String?
        /// The envelope's trace code, for the API's support.
        public var traceCode: String?
        /// The `result` of a 200 the API said succeeded: the offer.
        public var result: JSONValue?

        /// Whether another attempt may get another answer (429, 5xx, no reply, a broken body).
        public var isRetryable: Bool { outcome == nil }
    }

    /// Error codes of the (simulated) API and what they mean; see README "Error codes".
    static let knownCodes: [String: Outcome] = [
        "offer.already-closed": .alreadyClosed,
        "offer.not-cancellable": .notCancellable,
        "offer.not-found": .notFound,
        "offer.not-owner": .forbidden,
    ]

    /// The verdict on `reply`, which took `latency`.
    public static func classify(_ reply: MarketClient.Reply, latency: Duration = .zero) -> Verdict {
        let envelope = reply.body.flatMap(ErrorEnvelope.init)
        var verdict = Verdict(
            outcome: nil, signal: FlowSignal(reply, latency: latency), mayHaveApplied: reply.transportError != nil, retryAfter: reply.retryAfter,
            errorCode: envelope?.code, errorMessage: envelope?.message, traceCode: envelope?.traceCode
        )
        guard let status = reply.status else {
            verdict.mayHaveApplied = true
            verdict.errorMessage = reply.transportError ?? reply.bodyError
            return verdict
        }
        if status == 200 {
            guard let body = reply.body else {
                verdict.mayHaveApplied = true
                verdict.errorMessage = reply.bodyError ?? "reply is not JSON"
                return verdict
            }
            guard body["success"]?.bool == true else {
                verdict.outcome = .failed
                verdict.errorMessage = verdict.errorMessage ?? "HTTP 200 with \"success\": false"
                return verdict
            }
            verdict.result = body["result"]
            verdict.outcome = .cancelled
            verdict.errorMessage = nil
            return verdict
        }
        verdict.mayHaveApplied = verdict.mayHaveApplied || status >= 500
        if RetryPolicy.isRetryable(status: status) {
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
