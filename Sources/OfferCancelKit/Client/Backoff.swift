/// Exponential backoff: `base · 2^(attempt − 1)`, capped — the one formula every wait between
/// tries uses (a cancel's retries, a token fetch after a failure, the run-wide pause without
/// `Retry-After`, a confirmation's polls).
public struct Backoff: Sendable, Equatable {
    public var base: Duration
    public var cap: Duration

    public init(base: Duration, cap: Duration) {
        self.base = base
        self.cap = cap
    }

    /// The wait after `attempt` (1-based) tries in a row, saturating at `cap` (never an
    /// overflow, whatever the flags say).
    public func ceiling(after attempt: Int) -> Duration {
        let exponent = min(max(attempt, 1) - 1, 30)
        return base > cap / (1 << exponent) ? cap : base * (1 << exponent)
    }

    /// The wait with full jitter: a uniform draw `unit` in [0, 1) of ``ceiling(after:)``, so
    /// that clients failed together do not come back together.
    public func jittered(after attempt: Int, unit: Double) -> Duration {
        ceiling(after: attempt) * unit
    }
}
