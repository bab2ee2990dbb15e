/// When to try a request again and how long to wait first.
///
/// Retries 429, 5xx, timeouts, connection errors and malformed replies (a cancel is safe to
/// repeat: a second one answers "already closed"); never other 4xx. Waits are exponential
/// with full jitter — a uniform draw in `0 ... min(cap, base · 2^(attempt-1))` — unless the
/// server sent `Retry-After`, which is honoured up to `retryAfterCap`.
public struct RetryPolicy: Sendable {
    /// Requests at most per ID, the first included (`--max-attempts`, ≥ 1).
    public var maxAttempts: Int
    public var base: Duration
    public var cap: Duration
    public var retryAfterCap: Duration

    public init(maxAttempts: Int = 5, base: Duration = .milliseconds(200), cap: Duration = .seconds(10), retryAfterCap: Duration = .seconds(60)) {
        self.maxAttempts = max(1, maxAttempts)
        self.base = base
        self.cap = cap
        self.retryAfterCap = retryAfterCap
    }

    /// The wait before attempt `attempt + 1`, after attempt `attempt` (1-based) failed;
    /// `nil` when no attempt is left. `unit` is a uniform draw in [0, 1).
    public func delay(after attempt: Int, retryAfter: Duration?, unit: Double) -> Duration? {
        guard attempt < maxAttempts else { return nil }
        if let retryAfter { return min(max(retryAfter, .zero), retryAfterCap) }
        return Backoff(base: base, cap: cap).jittered(after: attempt, unit: unit)
    }

    /// Whether an answer with this HTTP status is worth another try.
    public static func isRetryable(status: Int) -> Bool {
        status == 429 || (500...599).contains(status) || status == 408
    }
}
