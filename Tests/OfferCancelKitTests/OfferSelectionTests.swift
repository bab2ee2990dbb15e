import JSONStream
import OfferCancelKit
import Testing

/// What `cancel --select` holds between the list and the first cancel: the IDs, and the plan.
@Suite struct OfferSelectionTests {
    static func offer(_ id: String?, contract: String = "0xAA", status: String = "READY", chain: String = "MATIC") throws -> JSONValue {
        let idMember = id.map { #""id":"\#($0)","# } ?? ""
        return try JSONValue.parse(#"{\#(idMember)"status":"\#(status)","nft":{"chain":"\#(chain)","contract":{"address":"\#(contract)"}}}"#)
    }

    @Test func idsAreKeptInListOrderAndThePlanCountsThem() throws {
        var query = OfferListQuery()
        query.contractAddress = "0xAA"
        var selection = OfferSelection(query: query)
        try selection.add(Self.offer("b-1"))
        try selection.add(Self.offer("a-2", contract: "0xBB", chain: "BSC"))
        try selection.add(Self.offer(nil, status: "NEW"))
        #expect(selection.count == 3)
        #expect((0..<3).map(selection.id(at:)) == ["b-1", "a-2", ""])
        #expect(selection.source == "api:/user/offers?status=READY&contractAddress=0xAA&relation=SELLER")
        #expect(selection.byContract == ["0xAA": 2, "0xBB": 1])
        #expect(selection.byStatus == ["READY": 2, "NEW": 1])
        #expect(selection.plan() == """
            3 offers from api:/user/offers?status=READY&contractAddress=0xAA&relation=SELLER
              by contract: 0xAA 2, 0xBB 1
              by status:   READY 2, NEW 1
              by chain:    MATIC 2, BSC 1
            """)
    }

    @Test func aLongPlanLineSumsTheRest() throws {
        var selection = OfferSelection(query: OfferListQuery())
        for index in 0..<12 { try selection.add(Self.offer("id-\(index)", contract: "0x\(index % 10)")) }
        let line = try #require(selection.plan(limit: 3).split(separator: "\n").first { $0.contains("by contract") })
        #expect(line == "  by contract: 0x0 2, 0x1 2, 0x2 1, 7 more (7)")
    }

    @Test(arguments: [(0, "0"), (999, "999"), (1_000, "1,000"), (300_000, "300,000"), (1_234_567, "1,234,567")])
    func countsAreGroupedByThousands(value: Int, text: String) {
        #expect(OfferSelection.grouped(value) == text)
    }

    /// The pipeline reads a selection as one input: an offer listed without an ID is an
    /// invalid item with a record, so the plan's count is the records' count.
    @Test func aSelectionIsReadAsOneInput() async throws {
        var selection = OfferSelection(query: OfferListQuery())
        try selection.add(Self.offer("EBB1574A-BF3B-43A9-8BF5-EE7B30044F10"))
        try selection.add(Self.offer(nil))
        try selection.add(Self.offer("ebb1574a-bf3b-43a9-8bf5-ee7b30044f10"))
        let source = try IDSource.selected(selection, options: IDSourceOptions(validator: IDValidator()))
        var items: [InputItem] = []
        for try await item in source { items.append(item) }
        #expect(items.map(\.line) == [1, 2, 3])
        #expect(items.allSatisfy { $0.source == selection.source })
        guard items.count == 3 else { return }
        if case .valid = items[0].disposition {} else { Issue.record("the first offer is valid: \(items[0].disposition)") }
        if case .invalid(let why) = items[1].disposition { #expect(why.reason.contains("without an id")) } else { Issue.record("\(items[1].disposition)") }
        if case .duplicate = items[2].disposition {} else { Issue.record("the same offer listed twice is a duplicate: \(items[2].disposition)") }
    }
}
