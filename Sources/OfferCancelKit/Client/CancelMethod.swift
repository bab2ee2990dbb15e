import NIOConcurrencyHelpers
import NIOHTTP1

/// Which HTTP method a cancel goes by (`--cancel-method`). The seed page documents
/// `GET /offers/{id}/cancel`; the API's later documentation (docs-capsule, from commit 712dfec)
/// documents `POST`. `auto` sends `GET` until the server refuses it with 405, then `POST`.
public enum CancelMethodPolicy: String, Sendable, CaseIterable {
    case auto
    case get = "GET"
    case post = "POST"

    /// `auto`, `GET` or `POST`, in any case.
    public init?(argument: String) {
        switch argument.uppercased() {
        case "AUTO": self = .auto
        case "GET": self = .get
        case "POST": self = .post
        default: return nil
        }
    }
}

/// The method a run's cancels go by now, shared by every worker. Under ``CancelMethodPolicy/auto``
/// it moves once, from `GET` to `POST`, at the first 405; a pinned method never moves.
public final class CancelMethod: Sendable {
    /// What a 405 to a cancel sent by some method means for the request refused.
    public enum Refusal: Sendable, Equatable {
        /// This reply moved the run to `POST`: say so once, and send the item again.
        case switched
        /// Another worker's 405 already moved the run: send the item again by the new method.
        case sendAgain
        /// No method is left to try: the 405 is the item's answer.
        case final
    }

    public let policy: CancelMethodPolicy
    private let state: NIOLockedValueBox<HTTPMethod>

    public init(_ policy: CancelMethodPolicy) {
        self.policy = policy
        state = NIOLockedValueBox(policy == .post ? .POST : .GET)
    }

    /// The method to send the next cancel by.
    public var current: HTTPMethod { state.withLockedValue { $0 } }

    /// Whether the run moved from `GET` to `POST`.
    public var switched: Bool { policy == .auto && current == .POST }

    /// Takes a 405 to a cancel that went by `method`.
    public func refused(_ method: HTTPMethod) -> Refusal {
        guard policy == .auto, method == .GET else { return .final }
        return state.withLockedValue { current in
            if current == .POST { return .sendAgain }
            current = .POST
            return .switched
        }
    }

    /// What to tell about a 405 no method is left for, in the item's record.
    public func finalRefusal(_ method: HTTPMethod) -> String {
        switch policy {
        case .auto: "the server refused both GET and POST for cancel (HTTP 405): check --base-url"
        case .get: "the server refused GET for cancel (HTTP 405): the API's later documentation cancels by POST (--cancel-method POST or auto)"
        case .post: "the server refused POST for cancel (HTTP 405): the seed page cancels by GET (--cancel-method GET or auto)"
        }
    }

    /// The method as the summaries name it: `POST (switched from GET after a 405)`.
    public var description: String {
        switched ? "POST (switched from GET after a 405)" : "\(current.rawValue)" + (policy == .auto ? " (auto)" : "")
    }
}
