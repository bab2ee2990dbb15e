@testable import OfferCancelKit
import Testing

/// The congestion detector on synthetic series of replies, with the time passed in: a limit
/// is told from noise by the share of throttled replies, whatever the series' length.
@Suite struct CongestionDetectorTests {
    let t0 = ContinuousClock.now

    /// A deterministic generator (SplitMix64), so a noise series is the same in every run.
    struct Noise {
        var state: UInt64
        mutating func unit() -> Double {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
        }
    }

    /// A gateway's token bucket: `limit` per second, a burst of `burst`.
    struct Bucket {
        let limit: Double
        let burst: Double
        var tokens: Double
        var at: Double = 0
        init(limit: Double, burst: Double) {
            self.limit = limit
            self.burst = burst
            tokens = burst
        }
        mutating func admits(at time: Double) -> Bool {
            tokens = min(tokens + (time - at) * limit, burst)
            at = time
            guard tokens >= 1 else { return false }
            tokens -= 1
            return true
        }
    }

    /// Feeds `seconds` of replies at `rate` per second, each throttled when `throttled` says;
    /// returns the times (seconds from t0) at which the detector saw congestion.
    func run(_ detector: inout CongestionDetector, from start: Double = 0, seconds: Double, rate: Double,
             episodes: Bool = true, throttled: (Double) -> Bool) -> [Double] {
        var trips: [Double] = []
        let count = Int(seconds * rate)
        for index in 0..<count {
            let time = start + Double(index) / rate
            let now = t0 + .nanoseconds(Int64(time * 1e9))
            if detector.observe(throttled: throttled(time), now: now) {
                trips.append(time)
                if episodes { detector.episodeStarted(now: now) }
            }
        }
        return trips
    }

    @Test(arguments: [0.01, 0.03, 0.05])
    func flatNoiseNeverTripsIt(share: Double) {
        for seed in UInt64(1)...5 {
            var detector = CongestionDetector(now: t0)
            var noise = Noise(state: seed)
            let trips = run(&detector, seconds: 60, rate: 300) { _ in noise.unit() < share }
            #expect(trips.isEmpty, "\(share * 100) % noise, seed \(seed): tripped at \(trips.prefix(5)) s")
        }
    }

    @Test(arguments: [100.0, 300, 1_000])
    func aLimitExceededByTenPercentTripsItWithinASecondOfItsFirst429(limit: Double) {
        var detector = CongestionDetector(now: t0)
        var bucket = Bucket(limit: limit, burst: 10)
        // Ten seconds at 95 % of the limit (nothing throttled), then 110 % of it.
        var trips = run(&detector, seconds: 10, rate: limit * 0.95) { !bucket.admits(at: $0) }
        #expect(trips.isEmpty)
        var first429: Double?
        trips = run(&detector, from: 10, seconds: 5, rate: limit * 1.1) { time in
            let refused = !bucket.admits(at: time)
            if refused, first429 == nil { first429 = time }
            return refused
        }
        let delay = trips.first.flatMap { trip in first429.map { trip - $0 } }
        #expect(delay.map { $0 <= 1 } == true, "found \(String(describing: delay)) s after the first 429")
    }

    @Test func aLimitUnderNoiseIsStillFound() {
        var detector = CongestionDetector(now: t0)
        var bucket = Bucket(limit: 300, burst: 10)
        var noise = Noise(state: 9)
        var trips = run(&detector, seconds: 20, rate: 285) { !bucket.admits(at: $0) || noise.unit() < 0.02 }
        #expect(trips.isEmpty, "2 % noise below the limit: \(trips.prefix(5))")
        trips = run(&detector, from: 20, seconds: 5, rate: 330) { !bucket.admits(at: $0) || noise.unit() < 0.02 }
        #expect(trips.first.map { $0 - 20 <= 1.5 } == true, "found within the burst's third of a second and one more: \(trips.prefix(3))")
    }

    @Test func aServerRefusingEverythingIsFoundOnTheSixthReply() {
        var detector = CongestionDetector(now: t0)
        let verdicts = (0..<6).map { index in detector.observe(throttled: true, now: t0 + .milliseconds(index)) }
        #expect(verdicts == [false, false, false, false, false, true])
    }

    @Test func oneStrayThrottleAmongAFewRepliesIsNoise() {
        var detector = CongestionDetector(now: t0)
        for index in 0..<5 { _ = detector.observe(throttled: false, now: t0 + .milliseconds(index)) }
        let first = detector.observe(throttled: true, now: t0 + .milliseconds(6))
        let second = detector.observe(throttled: true, now: t0 + .milliseconds(7))
        #expect(!first && !second, "1 of 6, then 2 of 7")
    }

    @Test func theFloorIsTheMeasuredNoiseWithinItsBounds() {
        var quiet = CongestionDetector(now: t0)
        #expect(quiet.noiseFloor == CongestionDetector.maxNoise, "assumed until measured")
        _ = run(&quiet, seconds: 10, rate: 200) { _ in false }
        #expect(quiet.noiseFloor == CongestionDetector.minNoise)
        var noisy = CongestionDetector(now: t0)
        var noise = Noise(state: 3)
        _ = run(&noisy, seconds: 10, rate: 500) { _ in noise.unit() < 0.03 }
        #expect(abs(noisy.noiseFloor - 0.03) < 0.01, "\(noisy.noiseFloor)")
    }

    @Test func anEpisodeSpendsItsEvidence() {
        var detector = CongestionDetector(now: t0)
        let trips = run(&detector, seconds: 0.2, rate: 100) { _ in true }
        // Twenty replies, all throttled: a trip on the sixth, the window emptied, again on the twelfth and eighteenth.
        #expect(trips.count == 3)
    }

    @Test(arguments: [(0, 20, false), (6, 20, true), (20, 300, true), (13, 300, true), (12, 300, false)])
    func theLineIsABinomialTest(throttled: Int, replies: Int, congested: Bool) {
        #expect(CongestionDetector.exceedsNoise(throttled: throttled, of: replies, floor: 0.01) == congested)
    }
}
