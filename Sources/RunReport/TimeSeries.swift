#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import OfferCancelKit

/// Records per time slot over a run: what happened each second, in bounded memory.
///
/// Slots start one second wide. When a job spans more than ``maxSlots`` slots, the width
/// doubles and neighbours merge, so a week-long job costs what a half-hour one does.
public struct TimeSeries: Sendable {
    /// One slot's counts.
    public struct Slot: Sendable {
        /// Records finished in the slot.
        public var records = 0
        /// Of which in the "ok" class, and not.
        public var ok = 0
        public var failed = 0
        /// Requests sent (attempts), and retries among them.
        public var requests = 0
        public var retries = 0
        /// Records whose last reply was 429, or 503.
        public var throttled = 0
        /// Time records spent waiting on flow control, summed (ms).
        public var waitMs = 0.0
        /// Latency of the slot's records, in ``LatencyBins``.
        public var latency = LatencyBins()

        mutating func merge(_ other: Slot) {
            records += other.records
            ok += other.ok
            failed += other.failed
            requests += other.requests
            retries += other.retries
            throttled += other.throttled
            waitMs += other.waitMs
            latency.merge(other.latency)
        }
    }

    /// Slots at most; beyond, the width doubles.
    public static let maxSlots = 1800

    /// Slot width in seconds.
    public private(set) var width: Int64 = 1
    /// Slots by index (seconds since 1970 ÷ width).
    private var slots: [Int64: Slot] = [:]

    public init() {}

    /// Counts `record` in the slot its `finishedAt` falls in; records never sent have none.
    public mutating func add(_ record: CancelRecord.Logged) {
        guard let finished = record.finishedAt, record.outcome.wasSent || record.attempts > 0 else { return }
        let index = Self.floorDivide(finished.nanoseconds, 1_000_000_000 * width)
        var slot = slots[index] ?? Slot()
        slot.records += 1
        if record.outcome.isOK { slot.ok += 1 } else { slot.failed += 1 }
        slot.requests += record.attempts
        slot.retries += max(0, record.attempts - 1)
        if record.httpStatus == 429 || record.httpStatus == 503 { slot.throttled += 1 }
        slot.waitMs += record.waitMs ?? 0
        if record.attempts > 0, let latency = record.latencyMs { slot.latency.add(latency) }
        slots[index] = slot
        if slots.count > Self.maxSlots { coarsen() }
    }

    /// Every slot from the first to the last, empty ones included: (start in seconds since 1970, slot).
    public var timeline: [(start: Int64, slot: Slot)] {
        guard let first = slots.keys.min(), let last = slots.keys.max() else { return [] }
        return (first...last).map { ($0 * width, slots[$0] ?? Slot()) }
    }

    /// All slots' latency together.
    public var latency: LatencyBins {
        slots.values.reduce(into: LatencyBins()) { $0.merge($1.latency) }
    }

    private mutating func coarsen() {
        width *= 2
        var merged: [Int64: Slot] = [:]
        for (index, slot) in slots { merged[Self.floorDivide(index, 2), default: Slot()].merge(slot) }
        slots = merged
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return value % divisor < 0 ? quotient - 1 : quotient
    }
}

/// A latency histogram in 96 logarithmic bins, four per doubling from 0.1 ms (the last bin
/// holds everything from about 28 minutes up): small enough to keep one per time slot.
public struct LatencyBins: Sendable {
    public static let binCount = 96
    private(set) var counts = [UInt32](repeating: 0, count: binCount)
    /// Values counted.
    public private(set) var total = 0

    public init() {}

    public mutating func add(_ ms: Double) {
        counts[Self.bin(of: ms)] &+= 1
        total += 1
    }

    mutating func merge(_ other: LatencyBins) {
        for index in counts.indices { counts[index] &+= other.counts[index] }
        total += other.total
    }

    /// The bin `ms` falls in.
    static func bin(of ms: Double) -> Int {
        guard ms.isFinite, ms > 0.1 else { return 0 }
        return min(binCount - 1, Int(log2(ms / 0.1) * 4) + 1)
    }

    /// The upper edge of `bin`, in ms.
    public static func upperEdge(of bin: Int) -> Double {
        0.1 * exp2(Double(bin) / 4)
    }

    /// The upper edge of the bin holding the `percentile`th value (0–100); `nil` when empty.
    public func percentile(_ percentile: Double) -> Double? {
        guard total > 0 else { return nil }
        let rank = max(1, Int((percentile / 100 * Double(total)).rounded(.up)))
        var seen = 0
        for (bin, count) in counts.enumerated() {
            seen += Int(count)
            if seen >= rank { return Self.upperEdge(of: bin) }
        }
        return Self.upperEdge(of: Self.binCount - 1)
    }

    /// Non-empty bins: (upper edge in ms, count).
    public var bins: [(upperEdgeMs: Double, count: Int)] {
        counts.enumerated().filter { $0.element > 0 }.map { (Self.upperEdge(of: $0.offset), Int($0.element)) }
    }
}
