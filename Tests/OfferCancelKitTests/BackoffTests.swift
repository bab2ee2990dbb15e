@testable import OfferCancelKit
import Testing

/// The one backoff formula: doubling from `base`, saturating at `cap`, jitter a share of it.
@Suite struct BackoffTests {
    static let runWide = Governor.runWideBackoff

    @Test(arguments: [(1, 250), (2, 500), (5, 4_000), (6, 8_000), (7, 8_000), (1_000, 8_000), (Int.max, 8_000)])
    func theRunWidePauseDoublesUpToEightSeconds(attempt: Int, milliseconds: Int) {
        #expect(Self.runWide.ceiling(after: attempt) == .milliseconds(milliseconds))
    }

    @Test func aHugeBaseSaturatesAtTheCapInsteadOfOverflowing() {
        let backoff = Backoff(base: .seconds(86_400), cap: .seconds(86_400 * 1_000))
        #expect(backoff.ceiling(after: 40) == .seconds(86_400 * 1_000))
    }

    @Test func fullJitterIsAShareOfTheCeiling() {
        let backoff = ConfirmationStage.pollBackoff
        #expect(backoff.jittered(after: 3, unit: 0.5) == .milliseconds(500))
        #expect(backoff.jittered(after: 3, unit: 0) == .zero)
    }
}
