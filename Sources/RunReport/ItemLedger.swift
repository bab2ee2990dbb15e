import OfferCancelKit

/// What became of each input item across the runs of one job: the merge behind `report`.
///
/// An item is its `source` and `seq` (the offer ID when a record has no `seq`), so items of
/// different inputs never collide, and shards of one input (which number items alike) merge.
/// For each item the last record wins, except that a `skipped` record (the item was never
/// sent) does not replace an earlier final answer.
///
/// An offer sent again from another input (`report --failed | offer-cancel -`) is the same
/// item: a record of a new item whose offer ID an unsettled item holds is that item's.
///
/// Memory: eight bytes per item, plus the offer IDs of the items not settled.
struct ItemLedger {
    /// The per-item facts the summary counts, in eight bytes.
    struct State {
        var outcome: UInt8
        /// -1 unknown, 0 not confirmed, 1 confirmed.
        var confirmed: Int8
        /// 0 when absent.
        var httpStatus: UInt16
        /// 0 when absent, else an index into `codes` plus one.
        var errorCode: UInt16
        /// The run that wrote it, from 1.
        var run: UInt16

        static let absent = State(outcome: .max, confirmed: -1, httpStatus: 0, errorCode: 0, run: 0)
        var isAbsent: Bool { outcome == .max }
    }

    /// Where an item lives.
    enum Key: Hashable, Comparable {
        case seq(source: Int, seq: Int)
        case offer(String)
    }

    /// One source's items by `seq`: an array while `seq`s stay dense, a dictionary for the others.
    struct SeqTable {
        var dense: [State] = []
        var sparse: [Int: State] = [:]

        subscript(seq: Int) -> State? {
            get {
                if seq >= 0, seq < dense.count { return dense[seq].isAbsent ? nil : dense[seq] }
                return sparse[seq]
            }
            set {
                let state = newValue ?? .absent
                if seq >= 0, seq < dense.count { return dense[seq] = state }
                // Grow the array only as far as the items already held justify.
                if seq >= 0, seq < 2 * (dense.count + sparse.count) + 1024 {
                    dense.append(contentsOf: repeatElement(.absent, count: seq - dense.count + 1))
                    dense[seq] = state
                } else {
                    sparse[seq] = newValue
                }
            }
        }
    }

    private var sourceIndex: [String: Int] = [:]
    private(set) var sourceNames: [String] = []
    private var tables: [SeqTable] = []
    private var byOfferID: [String: State] = [:]
    /// Offer IDs of the items whose winning record is not settled, and the other way round.
    private var unsettled: [Key: String] = [:]
    private var unsettledByOffer: [String: Key] = [:]
    /// Items of a later input that are an earlier item sent again.
    private var aliases: [Key: Key] = [:]
    private var codeIndex: [String: UInt16] = [:]
    private var codes: [String] = []
    /// Per error code (by index): the first message seen, and up to three items that had it.
    private var codeDetails: [(message: String?, examples: [(key: Key, offerId: String)])] = []

    /// Runs told apart: a new input starts one, and so does an item recorded again by the run
    /// that already recorded it.
    private(set) var runs = 0
    private var runStartsWithNextRecord = true
    /// The span of each run, earliest start to latest finish (nanoseconds).
    private(set) var runSpans: [(start: Int64, end: Int64)?] = []

    /// The next record belongs to a new run (a new file, or shard log).
    mutating func beginInput() { runStartsWithNextRecord = true }

    mutating func add(_ record: CancelRecord.Logged) {
        var key = key(of: record)
        if let alias = aliases[key] {
            key = alias
        } else if state(at: key) == nil, let earlier = unsettledByOffer[record.offerId], earlier != key {
            aliases[key] = earlier
            key = earlier
        }
        let previous = state(at: key)
        if runStartsWithNextRecord || previous.map({ Int($0.run) == runs }) == true {
            runs += 1
            runSpans.append(nil)
            runStartsWithNextRecord = false
        }
        extendSpan(record)
        if let previous, previous.outcome != Self.skipped, record.outcome == .skipped {
            return setState(State(outcome: previous.outcome, confirmed: previous.confirmed, httpStatus: previous.httpStatus,
                                  errorCode: previous.errorCode, run: currentRun), at: key)
        }
        var code: UInt16 = 0
        if let errorCode = record.errorCode { code = intern(errorCode) }
        setState(State(outcome: UInt8(Outcome.allCases.firstIndex(of: record.outcome)!),
                       confirmed: record.confirmed.map { $0 ? 1 : 0 } ?? -1,
                       httpStatus: record.httpStatus.map { UInt16(clamping: $0) } ?? 0,
                       errorCode: code, run: currentRun), at: key)
        if record.outcome.sendsAgain(confirmed: record.confirmed) {
            unsettled[key] = record.offerId
            unsettledByOffer[record.offerId] = key
        } else if let offer = unsettled.removeValue(forKey: key) {
            unsettledByOffer[offer] = nil
        }
        if code > 0 {
            let index = Int(code - 1)
            if codeDetails[index].message == nil { codeDetails[index].message = record.errorMessage }
            if codeDetails[index].examples.count < 3 { codeDetails[index].examples.append((key, record.offerId)) }
        }
    }

    /// Each item's winning record, counted into `statistics`.
    func countItems(into statistics: inout RunStatistics) {
        func count(_ state: State) {
            statistics.addItem(outcome: Outcome.allCases[Int(state.outcome)], httpStatus: state.httpStatus == 0 ? nil : Int(state.httpStatus),
                               errorCode: state.errorCode == 0 ? nil : codes[Int(state.errorCode) - 1],
                               confirmed: state.confirmed < 0 ? nil : state.confirmed == 1)
        }
        for table in tables {
            for state in table.dense where !state.isAbsent { count(state) }
            table.sparse.values.forEach(count)
        }
        byOfferID.values.forEach(count)
    }

    /// The offer IDs of items not settled, in input order.
    var unsettledOfferIDs: [String] {
        unsettled.sorted { $0.key < $1.key }.map(\.value)
    }

    var unsettledCount: Int { unsettled.count }

    /// Each error code's first message and example offer IDs whose item still ends with it.
    func errorDetails() -> [String: (message: String?, examples: [String])] {
        var details: [String: (message: String?, examples: [String])] = [:]
        for (index, code) in codes.enumerated() {
            let examples = codeDetails[index].examples.filter { state(at: $0.key)?.errorCode == UInt16(index + 1) }.map(\.offerId)
            details[code] = (codeDetails[index].message, examples)
        }
        return details
    }

    private static let skipped = UInt8(Outcome.allCases.firstIndex(of: .skipped)!)
    private var currentRun: UInt16 { UInt16(clamping: runs) }

    private mutating func key(of record: CancelRecord.Logged) -> Key {
        guard let seq = record.seq else { return .offer(record.offerId) }
        let source = record.source ?? ""
        if let index = sourceIndex[source] { return .seq(source: index, seq: seq) }
        sourceIndex[source] = tables.count
        sourceNames.append(source)
        tables.append(SeqTable())
        return .seq(source: tables.count - 1, seq: seq)
    }

    private func state(at key: Key) -> State? {
        switch key {
        case .seq(let source, let seq): tables[source][seq]
        case .offer(let id): byOfferID[id]
        }
    }

    private mutating func setState(_ state: State, at key: Key) {
        switch key {
        case .seq(let source, let seq): tables[source][seq] = state
        case .offer(let id): byOfferID[id] = state
        }
    }

    /// Error codes beyond 65,000 distinct ones share one name.
    private mutating func intern(_ code: String) -> UInt16 {
        if let index = codeIndex[code] { return index }
        guard codes.count < 65_000 else { return intern("(other codes)") }
        codes.append(code)
        codeDetails.append((nil, []))
        let index = UInt16(codes.count)
        codeIndex[code] = index
        return index
    }

    private mutating func extendSpan(_ record: CancelRecord.Logged) {
        guard let end = (record.finishedAt ?? record.startedAt)?.nanoseconds else { return }
        let start = (record.startedAt ?? record.finishedAt)!.nanoseconds
        let span = runSpans[runs - 1]
        runSpans[runs - 1] = (min(span?.start ?? start, start), max(span?.end ?? end, end))
    }
}
