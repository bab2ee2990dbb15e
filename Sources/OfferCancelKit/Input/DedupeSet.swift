/// A set of 16-byte ID keys that stays under 32 bytes per key however large the run, with no
/// spike while it grows (a Swift `Set` may take 43 bytes per key right after it doubles, and
/// holds old and new tables at once while it does).
///
/// Keys are spread over 256 shards by their mixed bits; each shard is a flat open-addressing
/// table (linear probing; the all-zero key marks an empty slot and the real all-zero key is
/// remembered aside) that grows by half when 7/8 full. A shard is never less than 58 % full
/// after growing (16 / 0.58 ≈ 27.4 bytes per key), and only one shard — 1/256 of the whole —
/// is ever copied at a time.
public struct DedupeSet {
    private var shards: [Shard]
    private var containsZero = false
    /// Keys held.
    public private(set) var count = 0

    /// An empty set.
    public init() {
        shards = Array(repeating: Shard(), count: 256)
    }

    /// Bytes the tables hold (the memory bound; excludes array headers).
    var storageBytes: Int { shards.reduce(0) { $0 + $1.slots.count * MemoryLayout<DedupeKey>.stride } }

    /// Inserts `id`'s key; true if it was not there yet.
    public mutating func insert(_ id: OfferID) -> Bool { insert(id.key) }

    /// Inserts `key`; true if it was not there yet.
    mutating func insert(_ key: DedupeKey) -> Bool {
        if key.isZero {
            defer { containsZero = true }
            if !containsZero { count += 1 }
            return !containsZero
        }
        let mixed = Self.mix(key)
        guard shards[Int(mixed >> 56)].insert(key, mixed: mixed << 8) else { return false }
        count += 1
        return true
    }

    func contains(_ key: DedupeKey) -> Bool {
        if key.isZero { return containsZero }
        let mixed = Self.mix(key)
        return shards[Int(mixed >> 56)].contains(key, mixed: mixed << 8)
    }

    private static func mix(_ key: DedupeKey) -> UInt64 {
        var mixed = key.high ^ (key.low &* 0x9E37_79B9_7F4A_7C15)
        mixed = (mixed ^ (mixed >> 31)) &* 0xBF58_476D_1CE4_E5B9
        return mixed ^ (mixed >> 29)
    }

    /// One open-addressing table.
    private struct Shard {
        var slots = Array(repeating: DedupeKey.zero, count: 16)
        var count = 0

        mutating func insert(_ key: DedupeKey, mixed: UInt64) -> Bool {
            if (count + 1) * 8 > slots.count * 7 { grow() }
            guard Self.place(key, mixed: mixed, in: &slots) else { return false }
            count += 1
            return true
        }

        func contains(_ key: DedupeKey, mixed: UInt64) -> Bool {
            var index = Self.home(mixed, size: slots.count)
            while true {
                if slots[index] == key { return true }
                if slots[index].isZero { return false }
                index = index + 1 == slots.count ? 0 : index + 1
            }
        }

        /// Puts `key` in its probe sequence unless it is there; returns whether it was placed.
        private static func place(_ key: DedupeKey, mixed: UInt64, in slots: inout [DedupeKey]) -> Bool {
            var index = home(mixed, size: slots.count)
            while true {
                if slots[index] == key { return false }
                if slots[index].isZero {
                    slots[index] = key
                    return true
                }
                index = index + 1 == slots.count ? 0 : index + 1
            }
        }

        /// The first slot to try: the mixed bits scaled onto the table (any table size).
        private static func home(_ mixed: UInt64, size: Int) -> Int {
            Int(mixed.multipliedFullWidth(by: UInt64(size)).high)
        }

        private mutating func grow() {
            var larger = Array(repeating: DedupeKey.zero, count: slots.count + slots.count / 2)
            for key in slots where !key.isZero {
                _ = Self.place(key, mixed: DedupeSet.mix(key) << 8, in: &larger)
            }
            slots = larger
        }
    }
}

extension DedupeKey {
    static let zero = DedupeKey(high: 0, low: 0)
    var isZero: Bool { high == 0 && low == 0 }
}
