/// How many retries a run may add, as in the AWS SDKs' standard retry mode: each first
/// attempt earns `ratio` of a retry, each retry spends one, and a floor of `floorPerSecond`
/// comes with time; the balance is capped, so a long healthy stretch cannot save up a storm.
/// Once it is spent, a failing item is recorded instead of adding load to a server in trouble.
struct RetryBudget: Sendable {
    let ratio: Double
    let floorPerSecond: Double
    let cap: Double
    private var balance: Double
    private var refilledAt: ContinuousClock.Instant

    init(ratio: Double = 0.1, floorPerSecond: Double = 1, cap: Double = 100, now: ContinuousClock.Instant) {
        self.ratio = ratio
        self.floorPerSecond = floorPerSecond
        self.cap = cap
        balance = min(cap, 10)
        refilledAt = now
    }

    mutating func firstAttempt() {
        balance = min(cap, balance + ratio)
    }

    /// Spends one retry if the budget holds one.
    mutating func withdraw(now: ContinuousClock.Instant) -> Bool {
        balance = min(cap, balance + floorPerSecond * (now - refilledAt).seconds)
        refilledAt = now
        guard balance > 0.999_999 else { return false }  // tenths summed in floating point
        balance -= 1
        return true
    }
}
