/// Spaces requests to at most `rate` per second, whatever the concurrency: each caller gets
/// the next free slot on an even grid and sleeps until it comes (no bursts above one).
public actor RateLimiter {
    private let interval: Duration
    private var nextSlot: ContinuousClock.Instant?

    /// - Parameter perSecond: requests per second, > 0.
    public init(perSecond: Double) {
        interval = .nanoseconds(Int64(1e9 / perSecond))
    }

    /// Waits for this caller's slot.
    public func acquire() async throws {
        let now = ContinuousClock.now
        let slot = max(nextSlot ?? now, now)
        nextSlot = slot + interval
        if slot > now { try await Task.sleep(until: slot, clock: .continuous) }
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
