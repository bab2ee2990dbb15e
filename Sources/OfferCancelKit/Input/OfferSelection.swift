import JSONStream

/// The offers `cancel --select` chose from the API's list, gathered before anything is
/// cancelled: their IDs in list order, held as bytes (about 40 per offer, so 300,000 offers
/// take 12 MB), and the plan — how many by contract, status and chain.
///
/// ``IDSource/selected(_:options:)`` hands the IDs to the pipeline as the items of one input
/// named ``source``; an offer listed without an ID string becomes an `invalid_id` record, so
/// the plan's count is the number of records.
public struct OfferSelection: Sendable {
    /// What the records name as their source: `api:/user/offers?status=READY&relation=SELLER`.
    public let source: String
    private var idBytes: [UInt8] = []
    private var ends: [Int] = []
    /// Offers by contract address (`(none)` when the offer names none).
    public private(set) var byContract: [String: Int] = [:]
    /// Offers by status.
    public private(set) var byStatus: [String: Int] = [:]
    /// Offers by chain.
    public private(set) var byChain: [String: Int] = [:]
    /// Replies the list took (more than one when the API pages it).
    public var pages = 1

    /// An empty selection of the offers `query` lists.
    public init(query: OfferListQuery) {
        source = "api:" + query.pathAndQuery
    }

    /// How many offers were chosen.
    public var count: Int { ends.count }

    /// Adds one listed offer.
    public mutating func add(_ offer: JSONValue) {
        idBytes.append(contentsOf: (OfferFields.id(offer)?.string ?? "").utf8)
        ends.append(idBytes.count)
        byContract[OfferFields.contract(offer)?.string ?? "(none)", default: 0] += 1
        byStatus[OfferFields.status(offer)?.string ?? "(none)", default: 0] += 1
        byChain[OfferFields.chain(offer)?.string ?? "(none)", default: 0] += 1
    }

    /// The ID of offer `index` (0-based, in list order); empty when it was listed without one.
    public func id(at index: Int) -> String {
        let start = index == 0 ? 0 : ends[index - 1]
        return String(decoding: idBytes[start..<ends[index]], as: UTF8.self)
    }

    /// The plan for a person, one line per dimension, the largest groups first:
    ///
    ///     4,998 offers from api:/user/offers?status=READY&relation=SELLER
    ///       by contract: 0xa457… 2,500, 0x1f2e… 1,200, …
    ///       by status:   READY 4,998
    ///       by chain:    MATIC 2,500, ETHEREUM 1,200, …
    ///
    /// At most `limit` groups per line; the rest are summed as "N more".
    public func plan(limit: Int = 8) -> String {
        func line(_ name: String, _ counts: [String: Int]) -> String {
            let sorted = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            var parts = sorted.prefix(limit).map { "\($0.key) \(Self.grouped($0.value))" }
            if sorted.count > limit {
                let rest = sorted.dropFirst(limit)
                parts.append("\(rest.count) more (\(Self.grouped(rest.reduce(0) { $0 + $1.value })))")
            }
            return "  \(name) \(parts.joined(separator: ", "))"
        }
        var lines = ["\(Self.grouped(count)) offer\(count == 1 ? "" : "s") from \(source)" + (pages > 1 ? " (\(pages) pages)" : "")]
        if count > 0 {
            lines += [line("by contract:", byContract), line("by status:  ", byStatus), line("by chain:   ", byChain)]
        }
        return lines.joined(separator: "\n")
    }

    /// `1234567` as `1,234,567`.
    public static func grouped(_ value: Int) -> String {
        let digits = String(value)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return out
    }
}

/// The items of an ``OfferSelection``, in list order; `line` is the offer's place in the list.
final class SelectionDecoder: RawItemDecoder {
    private let selection: OfferSelection
    private var index = 0

    init(_ selection: OfferSelection) {
        self.selection = selection
    }

    func next() throws(InputError) -> RawItem? {
        guard index < selection.count else { return nil }
        defer { index += 1 }
        let id = selection.id(at: index)
        return id.isEmpty ? .invalid(line: index + 1, raw: "", "the API listed an offer without an id") : RawItem(line: index + 1, raw: id)
    }
}
