import Foundation

/// The request rate the server accepts, learned from its 429s, since nobody published it.
///
/// Unpaced until the first 429 episode (the governor's `CongestionDetector` decides what is
/// one). Then the rate starts at what the server accepted in the last second and doubles every
/// half second (a slow start, as TCP's) until the next episode, which brackets the limit: the
/// rate becomes 90 % of the lower of the rate sent and the rate the server accepted at the end
/// of the time since the last pause (after the burst a gateway's bucket saved during the
/// pause). After that every episode takes it to 95 % of that lower rate, and the rate grows
/// back as TCP CUBIC's window does around its last loss: quickly at first, flat near the limit
/// the last episode showed (the rate sent, or the rate accepted if lower), then faster and
/// faster past it — so 429s come seldom at a steady limit, and a limit that doubled is reached
/// within about eight seconds. `ceiling` (`--rate`) is never exceeded.
struct AdaptiveRate: Sendable {
    let ceiling: Double?
    /// The learned rate, requests per second; `nil` until the first 429.
    private(set) var learned: Double?
    /// The learned rate once a limit was found (a second episode bracketed it); `nil` while
    /// unpaced or still in the slow start after the first episode.
    var found: Double? { slowStart ? nil : learned }
    /// Whether the rate is still doubling after its first episode.
    var inSlowStart: Bool { slowStart }
    /// The limit as the last episode showed it: the rate sent, or the rate accepted if lower.
    private var lastThrottled: Double?
    private var slowStart = false
    /// When the rate last grew (in the slow start), or when the current CUBIC epoch began.
    private var grownAt: ContinuousClock.Instant
    /// The rate the current CUBIC epoch started from, after the slow start.
    private var epochStart: Double?
    /// Accepted replies per 50 ms over the last second, as a ring.
    private var buckets = [Int](repeating: 0, count: Self.ringSize)
    private var bucketIndex: Int64 = 0
    private let started: ContinuousClock.Instant

    static let bucket: Duration = .milliseconds(50)
    /// Buckets in the one-second ring.
    static let ringSize = 20

    init(ceiling: Double?, now: ContinuousClock.Instant) {
        self.ceiling = ceiling
        grownAt = now
        started = now
    }

    /// Requests per second to pace at now, or `nil` for no pacing.
    mutating func current(now: ContinuousClock.Instant) -> Double? {
        if var rate = learned, now > grownAt {
            if slowStart {
                rate *= pow(2, (now - grownAt).seconds / 0.5)
                grownAt = now
            } else if let start = epochStart, let limit = lastThrottled {
                rate = Self.cubic(from: start, limit: limit, after: (now - grownAt).seconds)
            }
            if let ceiling { rate = min(rate, ceiling) }
            learned = rate
        }
        return learned ?? ceiling
    }

    /// CUBIC's growth constant, per second cubed: a rate 5 % under the limit is back at it in
    /// 2.3 s, and twice the limit is reached 5.8 s after that.
    static let cubicGrowth = 0.004

    /// The rate `seconds` into an epoch that started at `start` under `limit`: it reaches
    /// `limit` after K seconds, where the curve is flat, and grows as the cube of the time past K.
    static func cubic(from start: Double, limit: Double, after seconds: Double) -> Double {
        let limit = max(limit, start)
        let k = cbrt((1 - start / limit) / cubicGrowth)
        return limit * (1 + cubicGrowth * pow(seconds - k, 3))
    }

    mutating func accepted(now: ContinuousClock.Instant) {
        advance(to: now)
        buckets[ring(bucketIndex)] += 1
    }

    /// A new 429 episode; `since` is when sending resumed after the last pause, `resumingAt`
    /// when it resumes after this one (the rate grows from then).
    mutating func throttled(now: ContinuousClock.Instant, since resumed: ContinuousClock.Instant, resumingAt: ContinuousClock.Instant) {
        advance(to: now)
        let span = max(0, min(1, (now - max(resumed, started)).seconds))
        if let rate = learned {
            // Where the limit is: the rate sent, or what the server accepted when that was less
            // (a limit lowered under the run, or a client that could not send at its pace).
            let accepted = acceptedRate(endingSpan: span)
            lastThrottled = min(rate, accepted ?? rate)
            if slowStart {
                learned = (accepted.map { min(rate, $0) } ?? rate / 2) * 0.9
            } else {
                learned = min(rate, accepted ?? .infinity) * 0.95
            }
            slowStart = false
        } else {
            // The first 429 of the run: what the server accepted in (at most) the last second.
            let spanned = min(Self.ringSize, Int((span / Self.bucket.seconds).rounded(.up)))
            learned = Double(acceptedCount(back: 0..<spanned))
            slowStart = true
        }
        learned = max(1, min(learned ?? 1, ceiling ?? .infinity))
        epochStart = slowStart ? nil : learned
        grownAt = max(now, resumingAt)
    }

    /// The rate the server accepted at the end of the `span` since sending resumed: the
    /// accepted replies of the whole 50 ms buckets in its latter half; `nil` when that holds
    /// fewer than two. Not the whole span: a gateway's token bucket fills while the run
    /// pauses, and the burst it lets through after the pause is not its rate (a burst of 20
    /// over half a second reads as 40 a second too many, which paced a run 10 % over a limit of
    /// 200/s, its 429s under the noise line, until the run ended).
    private func acceptedRate(endingSpan span: Double) -> Double? {
        let whole = min(Self.ringSize / 2, Int(span / 2 / Self.bucket.seconds))
        guard whole >= 2 else { return nil }
        return Double(acceptedCount(back: 1..<whole + 1)) / (Double(whole) * Self.bucket.seconds)
    }

    /// Accepted replies in the buckets `back` before the current one (0: the current one).
    private func acceptedCount(back: Range<Int>) -> Int {
        back.reduce(0) { $0 + buckets[ring(bucketIndex - Int64($1))] }
    }

    /// The ring's slot for the bucket with absolute index `index`.
    private func ring(_ index: Int64) -> Int {
        let size = Int64(Self.ringSize)
        return Int((index % size + size) % size)
    }

    private mutating func advance(to now: ContinuousClock.Instant) {
        let index = (now - started).nanoseconds / Self.bucket.nanoseconds
        if index - bucketIndex >= Self.ringSize {
            buckets = [Int](repeating: 0, count: Self.ringSize)
        } else {
            var step = bucketIndex
            while step < index {
                step += 1
                buckets[ring(step)] = 0
            }
        }
        bucketIndex = max(bucketIndex, index)
    }
}
