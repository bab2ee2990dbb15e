/// Spaces requests to at most `rate` per second, whatever the concurrency: each caller gets
/// the next free slot on an even grid and sleeps until it comes (no bursts above one).
public actor RateLimiter {
    private let interval: Duration
    private var nextSlot: ContinuousClock.Instant?

    /// - Parameter perSecond: requests per second, > 0.
    public init(perSecond: Double) {
        interval = .nanoseconds(Int64(1e9 / perSecond))
    }

    /// Reserves this caller's slot; returns how long to wait for it (zero when it is now).
    public func reserve() -> Duration {
        let now = ContinuousClock.now
        let slot = max(nextSlot ?? now, now)
        nextSlot = slot + interval
        return slot - now
    }

    /// Waits for this caller's slot.
    public func acquire() async throws {
        let wait = reserve()
        if wait > .zero { try await Task.sleep(for: wait) }
    }

    /// Parses `N/s`, `N/m` or a bare `N` (per second).
    public static func parseRate(_ text: String) -> Double? {
        let parts = text.split(separator: "/", maxSplits: 1)
        guard let first = parts.first, let value = Double(first), value > 0, value.isFinite else { return nil }
        guard parts.count == 2 else { return value }
        switch parts[1].lowercased() {
        case "s", "sec", "second": return value
        case "m", "min", "minute": return value / 60
        case "h", "hour": return value / 3600
        default: return nil
        }
    }
}
