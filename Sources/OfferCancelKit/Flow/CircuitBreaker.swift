/// Stops sending while the server is down: after `threshold` failures in a row (connection
/// errors, timeouts, 5xx) it opens for a cool-down, then lets one probe through; the probe's
/// success closes it, its failure opens it again for twice as long (up to 30 s).
struct CircuitBreaker: Sendable {
    /// Whether a request may go now.
    enum Admission: Equatable {
        case closed
        /// Wait until then.
        case open(until: ContinuousClock.Instant)
        /// Go, as the one probe.
        case probe
        /// A probe is out; wait for its answer.
        case probing
    }

    let threshold: Int
    private var failures = 0
    private var openUntil: ContinuousClock.Instant?
    private var probeOut = false
    private var coolDown: Duration = .seconds(1)
    private(set) var trips = 0

    init(threshold: Int = 10) { self.threshold = max(1, threshold) }

    var isOpen: Bool { openUntil != nil }

    mutating func admit(now: ContinuousClock.Instant) -> Admission {
        guard let openUntil else { return .closed }
        if now < openUntil { return .open(until: openUntil) }
        if probeOut { return .probing }
        probeOut = true
        return .probe
    }

    mutating func succeeded() {
        failures = 0
        openUntil = nil
        probeOut = false
        coolDown = .seconds(1)
    }

    mutating func failed(now: ContinuousClock.Instant) {
        failures += 1
        if probeOut {
            probeOut = false
            coolDown = min(coolDown * 2, .seconds(30))
            openUntil = now + coolDown
        } else if openUntil == nil, failures >= threshold {
            trips += 1
            openUntil = now + coolDown
        }
    }
}
