import JanssonArena

/// jansson's allocator: every value parsed or built comes out of shared 64 KiB blocks (see
/// `Sources/JanssonArena`), installed before `main` unless `OFFER_CANCEL_JANSSON_ARENA=0`.
public enum JSONArena {
    /// The arena's counters at one instant.
    public struct Statistics: Sendable, Equatable {
        /// Whether jansson allocates from the arena in this process.
        public var installed: Bool
        /// Blocks taken from malloc.
        public var blocksMade: Int
        /// Blocks given back once all they held was freed.
        public var blocksReturned: Int
        /// Allocations over 1 KiB (plain malloc) not yet freed.
        public var largeLive: Int

        /// Blocks still held: by live values, or as some thread's current block.
        public var blocksHeld: Int { blocksMade - blocksReturned }
    }

    /// The counters now.
    public static var statistics: Statistics {
        let stats = jansson_arena_statistics()
        return Statistics(installed: stats.installed != 0, blocksMade: Int(stats.blocksMade),
                          blocksReturned: Int(stats.blocksReturned), largeLive: Int(stats.largeLive))
    }
}
