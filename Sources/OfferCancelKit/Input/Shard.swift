/// `--shard K/N`: one of N disjoint parts of a run's input, so N runs — on N machines, each
/// with its own API client — together cover every item exactly once.
///
/// An item belongs to shard `FNV-1a-64(text) % N + 1`, where `text` is the item's ID as the
/// records write it (a UUID in lower case) or, for an item that is not a valid ID, its text
/// as read (trimmed). FNV-1a-64 is the 64-bit Fowler–Noll–Vo hash of the text's UTF-8 bytes
/// (offset basis `0xcbf29ce484222325`, prime `0x100000001b3`), so a shard computed by any
/// other program agrees. A repeated ID always falls in the same shard, so dedupe still holds.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    /// K, from 1 to ``count``.
    public let index: Int
    /// N, the number of shards.
    public let count: Int

    /// `K/N` with 1 ≤ K ≤ N ≤ 1,000,000; `nil` for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { (0x30...0x39).contains($0) } }),
              let index = Int(parts[0]), let count = Int(parts[1]),
              (1...1_000_000).contains(count), (1...count).contains(index) else { return nil }
        (self.index, self.count) = (index, count)
    }

    public var description: String { "\(index)/\(count)" }

    /// Whether the item written `text` belongs to this shard.
    public func contains(_ text: String) -> Bool {
        Self.number(of: text, count: count) == index
    }

    /// The shard (1-based) of `count` that `text` belongs to.
    public static func number(of text: String, count: Int) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return Int(hash % UInt64(count)) + 1
    }
}
