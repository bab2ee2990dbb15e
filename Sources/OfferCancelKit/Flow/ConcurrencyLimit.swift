/// How many requests may be in flight: additive increase, multiplicative decrease (AIMD), as
/// in Netflix's concurrency-limits.
///
/// It starts low and, until the first sign of congestion, grows by one per healthy reply
/// (doubling per round trip, as TCP's slow start); after that by one per round trip's worth
/// of replies. It grows only while the run uses at least half of it, so a run held back by
/// its input or its rate does not build up a limit it never tested.
struct ConcurrencyLimit: Sendable {
    let maximum: Int
    private(set) var value: Double
    private var slowStart = true

    init(maximum: Int, initial: Int = 8) {
        self.maximum = max(1, maximum)
        value = Double(min(self.maximum, max(1, initial)))
    }

    /// Requests allowed in flight now.
    var current: Int { Int(value) }

    mutating func healthy(inFlight: Int) {
        guard Double(inFlight) * 2 >= value else { return }
        value = min(Double(maximum), value + (slowStart ? 1 : 1 / value))
    }

    /// A sign of congestion: the limit becomes `factor` of itself (at least 1).
    mutating func congested(factor: Double) {
        slowStart = false
        value = max(1, value * factor)
    }
}
