/// A set of 16-byte ID keys in one flat array: at most 32 bytes per key however large the
/// run, where a Swift `Set` may take 43 right after it doubles.
///
/// Open addressing with linear probing; the all-zero key marks an empty slot (the real
/// all-zero key is remembered aside). It grows by half when 7/8 full, so a table is never
/// less than 58 % full after growing: 16 / 0.58 ≈ 27.4 bytes per key.
struct DedupeSet {
    private var slots: [DedupeKey]
    private var containsZero = false
    private(set) var count = 0

    init(capacity: Int = 1024) {
        slots = Array(repeating: DedupeKey(high: 0, low: 0), count: max(capacity, 16))
    }

    /// Bytes the table holds (for the memory bound; excludes the array header).
    var storageBytes: Int { slots.count * MemoryLayout<DedupeKey>.stride }

    /// Inserts `key`; true if it was not there yet.
    mutating func insert(_ key: DedupeKey) -> Bool {
        if key.high == 0 && key.low == 0 {
            defer { containsZero = true }
            if !containsZero { count += 1 }
            return !containsZero
        }
        if (count + 1) * 8 > slots.count * 7 { grow() }
        if Self.place(key, in: &slots) {
            count += 1
            return true
        }
        return false
    }

    func contains(_ key: DedupeKey) -> Bool {
        if key.high == 0 && key.low == 0 { return containsZero }
        var index = Self.home(of: key, in: slots.count)
        while true {
            let slot = slots[index]
            if slot == key { return true }
            if slot.high == 0 && slot.low == 0 { return false }
            index = index + 1 == slots.count ? 0 : index + 1
        }
    }

    /// Puts `key` in its probe sequence unless it is there; returns whether it was placed.
    private static func place(_ key: DedupeKey, in slots: inout [DedupeKey]) -> Bool {
        var index = home(of: key, in: slots.count)
        while true {
            let slot = slots[index]
            if slot == key { return false }
            if slot.high == 0 && slot.low == 0 {
                slots[index] = key
                return true
            }
            index = index + 1 == slots.count ? 0 : index + 1
        }
    }

    /// The first slot to try: the key's mixed bits scaled onto the table (any table size).
    private static func home(of key: DedupeKey, in size: Int) -> Int {
        var mixed = (key.high ^ (key.low &* 0x9E37_79B9_7F4A_7C15))
        mixed = (mixed ^ (mixed >> 31)) &* 0xBF58_476D_1CE4_E5B9
        return Int(mixed.multipliedFullWidth(by: UInt64(size)).high)
    }

    private mutating func grow() {
        var larger = Array(repeating: DedupeKey(high: 0, low: 0), count: slots.count + slots.count / 2)
        for key in slots where key.high != 0 || key.low != 0 {
            _ = Self.place(key, in: &larger)
        }
        slots = larger
    }
}
