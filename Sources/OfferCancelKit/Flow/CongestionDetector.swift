/// Tells a limit from noise by the share of throttled replies (429 and 503), not by each one.
///
/// Real APIs answer 429 and 503 at random as well as under load. Under a limit the share of
/// throttled replies grows with the rate sent (1 − L/R); noise stays flat whatever the rate.
/// So a throttled reply means congestion only when the throttled share of the last second's
/// replies is above the noise floor by more than chance explains — a one-sided binomial test:
///
///     k > n·p + z·√(n·p·(1 − p)) + 3        (n replies, k throttled, z = 4)
///
/// (the 3 stands for the skew of small counts, (z² + 2) / 6 in the Cornish–Fisher
/// expansion: the test is evaluated at every throttled reply, so it must hold in the tail).
/// `p` is the noise floor: the median throttled share of the last 15 seconds that held at
/// least 20 replies and no congestion, kept between 0.5 % and 5 %, and 5 % until three such
/// seconds were seen. Flat noise of 1–5 % therefore stays below the line (synthetic series of
/// 60 s at 300 replies a second never cross it), while a limit exceeded by 10 % (9 % of
/// replies throttled) crosses it within a second of its first 429 at a hundred replies a
/// second or more; at the start a server that refuses every request is found on the sixth
/// reply. Noise above 5 % is read as load: such a server is then treated as limited.
///
/// After an episode the window starts empty, so one burst of evidence makes one episode.
/// The value type takes the time as an argument, so tests drive it with synthetic series.
struct CongestionDetector: Sendable {
    /// One 50 ms slot of the sliding one-second window.
    private struct Slot: Sendable {
        var replies = 0
        var throttled = 0
    }

    static let slot: Duration = .milliseconds(50)
    static let slots = 20
    /// Noise assumed until it is measured, and the most that is ever read as noise.
    static let maxNoise = 0.05
    /// The least noise assumed, so that a quiet server's first stray 429 is not congestion.
    static let minNoise = 0.005
    /// Standard deviations above the floor that make a share congestion, and the margin for
    /// the skew of small counts.
    static let z = 4.0
    static let skew = 3.0
    /// Seconds of history for the floor, and the replies a second needs to count.
    static let history = 15
    static let repliesForFloor = 20

    private var window = [Slot](repeating: Slot(), count: slots)
    private var slotIndex: Int64 = 0
    private let started: ContinuousClock.Instant
    /// The whole second being counted for the floor, and whether it is left out (it saw congestion).
    private var second = (index: Int64(0), replies: 0, throttled: 0, leftOut: false)
    private var shares: [Double] = []

    init(now: ContinuousClock.Instant) {
        started = now
    }

    /// The share of throttled replies that noise explains, as measured so far.
    var noiseFloor: Double {
        guard shares.count >= 3 else { return Self.maxNoise }
        let sorted = shares.sorted()
        return min(Self.maxNoise, max(Self.minNoise, sorted[sorted.count / 2]))
    }

    /// The share of throttled replies in the window (the last second since the last episode).
    var windowShare: Double {
        let (replies, throttled) = totals
        return replies == 0 ? 0 : Double(throttled) / Double(replies)
    }

    private var totals: (replies: Int, throttled: Int) {
        window.reduce(into: (0, 0)) { sum, slot in
            sum.0 += slot.replies
            sum.1 += slot.throttled
        }
    }

    /// Counts a reply; returns whether it is a throttled reply that shows congestion.
    mutating func observe(throttled: Bool, now: ContinuousClock.Instant) -> Bool {
        advance(to: now)
        let current = Int(slotIndex % Int64(Self.slots))
        window[current].replies += 1
        second.replies += 1
        if throttled {
            window[current].throttled += 1
            second.throttled += 1
        }
        guard throttled else { return false }
        let (replies, throttledReplies) = totals
        return Self.exceedsNoise(throttled: throttledReplies, of: replies, floor: noiseFloor)
    }

    /// A congestion episode began: its evidence is spent, and this second says nothing of noise.
    mutating func episodeStarted(now: ContinuousClock.Instant) {
        advance(to: now)
        window = [Slot](repeating: Slot(), count: Self.slots)
        second.leftOut = true
    }

    /// Whether `throttled` of `replies` is more than a noise share of `floor` explains.
    static func exceedsNoise(throttled: Int, of replies: Int, floor: Double) -> Bool {
        let n = Double(replies)
        let line = n * floor + z * (n * floor * (1 - floor)).squareRoot() + skew
        return Double(throttled) > line
    }

    private mutating func advance(to now: ContinuousClock.Instant) {
        let elapsed = max(.zero, now - started)
        let index = elapsed.nanoseconds / Self.slot.nanoseconds
        if index - slotIndex >= Int64(Self.slots) {
            window = [Slot](repeating: Slot(), count: Self.slots)
        } else {
            var step = slotIndex
            while step < index {
                step += 1
                window[Int(step % Int64(Self.slots))] = Slot()
            }
        }
        slotIndex = max(slotIndex, index)
        let secondIndex = Int64(elapsed.components.seconds)
        if secondIndex > second.index {
            if !second.leftOut, second.replies >= Self.repliesForFloor {
                shares.append(Double(second.throttled) / Double(second.replies))
                if shares.count > Self.history { shares.removeFirst() }
            }
            second = (secondIndex, 0, 0, false)
        }
    }
}
