/// What one reply says about the server's load — the governor's only input.
public enum FlowSignal: Sendable, Equatable {
    /// An answer that shows the server coping (2xx, and 4xx other than 408 and 429), with the
    /// time the request took.
    case healthy(latency: Duration)
    /// 429: over the server's rate; come back after `retryAfter` if it said.
    case throttled(retryAfter: Duration?)
    /// 503: over the server's capacity.
    case overloaded(retryAfter: Duration?)
    /// No answer in time (or 408).
    case timedOut
    /// A connection failure, another 5xx, or a malformed reply.
    case failing

    /// The signal of `reply`, which took `latency`.
    init(_ reply: MarketClient.Reply, latency: Duration) {
        if reply.timedOut { self = .timedOut; return }
        switch reply.status {
        case nil: self = .failing
        case 429?: self = .throttled(retryAfter: reply.retryAfter)
        case 503?: self = .overloaded(retryAfter: reply.retryAfter)
        case 408?: self = .timedOut
        case let status? where status >= 500: self = .failing
        case 200? where reply.bodyError != nil: self = .failing
        default: self = .healthy(latency: latency)
        }
    }
}
