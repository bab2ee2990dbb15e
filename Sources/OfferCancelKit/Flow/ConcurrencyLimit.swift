/// How many requests may be in flight: additive increase, multiplicative decrease (AIMD), as
/// in Netflix's concurrency-limits.
///
/// It starts low and, until the first sign of congestion, grows by one per healthy reply
/// (doubling per round trip, as TCP's slow start); after that by one per round trip's worth
/// of replies. It grows only while the run uses at least half of it, so a run held back by
/// its input or its rate does not build up a limit it never tested. Near a capacity a server
/// has refused at (a 503 without `Retry-After`), it grows sixteen times slower: a plateau, as
/// TCP CUBIC's around its last loss, so that the capacity is probed seldom, not every few
/// round trips. A refusal past that capacity, while the limit probes the plateau, is the same
/// capacity met again: the limit goes back to it, not below it.
struct ConcurrencyLimit: Sendable {
    let maximum: Int
    private(set) var value: Double
    private var slowStart = true
    /// The capacity a server refused past (a 503 without `Retry-After`): the most requests in
    /// flight it answered well below its refusal.
    private var capacity: Double?
    /// The most requests in flight a healthy reply was sent with, since the last refusal.
    private var highestHealthy = 0
    /// The slow start's refusal, until the next: the requests in flight it was sent with, and
    /// the cut it made.
    private var slowStartRefusal: (inFlight: Int, factor: Double)?

    init(maximum: Int, initial: Int = 8) {
        self.maximum = max(1, maximum)
        value = Double(min(self.maximum, max(1, initial)))
    }

    /// Requests allowed in flight now.
    var current: Int { Int(value) }

    mutating func healthy(inFlight: Int) {
        highestHealthy = max(highestHealthy, inFlight)
        // The slow start's refusal comes back before the replies to the requests sent just
        // before it (the limit doubles each round trip): those still say where the capacity is.
        if let refusal = slowStartRefusal, let known = capacity, Double(inFlight) > known, inFlight < refusal.inFlight {
            capacity = Double(inFlight)
            value = max(value, Double(inFlight) * refusal.factor)
        }
        guard Double(inFlight) * 2 >= value else { return }
        var step = slowStart ? 1 : 1 / value
        if let capacity, Self.plateau.contains(value / capacity) { step /= 16 }
        value = min(Double(maximum), value + step)
    }

    /// Where the limit grows slowly, as shares of the capacity met: past its top, with no
    /// refusal on the way, the server has grown, and the limit grows at its usual pace again.
    static let plateau = 0.9...1.1

    /// A sign of congestion: the limit becomes `factor` of itself (at least 1).
    mutating func congested(factor: Double) {
        slowStart = false
        value = max(1, value * factor)
    }

    /// A server at its capacity refused a request sent with `inFlight` in flight. The same
    /// capacity met again (``meetsCapacityAgain(atInFlight:)``) puts the limit back to it.
    /// Otherwise the capacity is the most in flight it answered well below that, and the limit
    /// becomes at most `factor` of it (at least 1), wherever it stood. A request outside the
    /// limit (`inFlight` 0) bounds nothing: the most answered well, or the limit, stands for
    /// the capacity.
    mutating func refused(atInFlight inFlight: Int, factor: Double) {
        defer { highestHealthy = 0 }
        slowStartRefusal = slowStart ? (inFlight, factor) : nil
        if let capacity, meetsCapacityAgain(atInFlight: inFlight) {
            value = min(value, capacity)
            return
        }
        slowStart = false
        let below = inFlight > 0 ? inFlight - 1 : Int(value)
        let met = Double(max(1, highestHealthy > 0 ? min(highestHealthy, below) : below))
        capacity = met
        value = max(1, min(value, met * factor))
    }

    /// Whether a refusal at `inFlight` is the capacity met before, met again: a request sent
    /// past it while the limit probes the plateau. It needs no share of refusals to be
    /// believed: noise there costs the limit a step it regains within the plateau, while a
    /// server whose capacity is fuzzy (refusing some requests one past it, as a client's count
    /// includes replies on their way back) is held at it without a cut.
    func meetsCapacityAgain(atInFlight inFlight: Int) -> Bool {
        guard let capacity, inFlight > 0, Double(inFlight) > capacity else { return false }
        // Below a capacity of ten the plateau is narrower than the one request that probes it.
        return value >= capacity * Self.plateau.lowerBound && value < max(capacity * Self.plateau.upperBound, capacity + 2)
    }
}
