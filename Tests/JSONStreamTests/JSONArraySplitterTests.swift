import JSONStream
import Testing

/// Splitting a list reply into its elements as the bytes arrive.
@Suite struct JSONArraySplitterTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var document: String
        var key: String? = "result"
        var elements: [String]
        var testDescription: String { document }
    }

    static let cases: [Case] = [
        Case(document: #"{"success":true,"result":[{"id":"a","n":[1,2,{"x":"]"}]},{"id":"b"}]}"#,
             elements: [#"{"id":"a","n":[1,2,{"x":"]"}]}"#, #"{"id":"b"}"#]),
        Case(document: "{ \"success\" : true ,\n \"result\" : [ ] }", elements: []),
        Case(document: #"{"errors":[{"code":"x"}],"a":{"result":[9]},"result":["s\"t,r]", 1.5e3, null, true]}"#,
             elements: [#""s\"t,r]""#, "1.5e3", "null", "true"]),
        Case(document: #"{"note":"\"result\":[7]","result":[ {"k" : "v"} ,{"k":"w"} ]}"#, elements: [#"{"k" : "v"}"#, #"{"k":"w"}"#]),
        Case(document: #"[ "a", {"b": [1]}, 3 ]"#, key: nil, elements: [#""a""#, #"{"b": [1]}"#, "3"]),
    ]

    /// Every way of cutting the document into two chunks gives the same elements.
    @Test(arguments: cases)
    func elementsComeOutWhereverTheChunksBreak(_ test: Case) throws {
        let bytes = Array(test.document.utf8)
        let expected = try test.elements.map { try JSONValue.parse($0) }
        for cut in 0...bytes.count {
            var splitter = JSONArraySplitter(arrayKey: test.key)
            var seen: [JSONValue] = []
            try splitter.feed(bytes[..<cut]) { seen.append($0) }
            try splitter.feed(bytes[cut...]) { seen.append($0) }
            try splitter.finish()
            #expect(seen == expected, "cut at \(cut)")
            #expect(splitter.count == expected.count)
        }
        var single = JSONArraySplitter(arrayKey: test.key)
        var one: [JSONValue] = []
        for byte in bytes { try single.feed([byte]) { one.append($0) } }
        try single.finish()
        #expect(one == expected, "one byte at a time")
    }

    /// A reply cut off mid-array is an error that says how many elements came.
    @Test(arguments: [#"{"result":[{"id":"a"},{"id":"b"},{"id""#, #"{"result":[1,2"#, #"{"result":[1,2]"#, #"{"result":[1,2,"ab"#])
    func aDocumentThatStopsShortIsAnError(text: String) throws {
        var splitter = JSONArraySplitter()
        var seen = 0
        try splitter.feed(Array(text.utf8)) { _ in seen += 1 }
        #expect(throws: JSONError.self) { try splitter.finish() }
        do { try splitter.finish() } catch { #expect(error.text.contains("ended after \(seen) elements"), "\(error.text)") }
    }

    /// The member named by `captureKey` is kept whole, before or after the array, wherever the
    /// chunks break; a scalar or a nested member of that name is not it.
    @Test(arguments: [
        (#"{"success":true,"result":[{"id":"a"},{"id":"b"}],"pagination":{"pageNumber":2,"hasNextPage":true,"s":"}]"}}"#, #"{"pageNumber":2,"hasNextPage":true,"s":"}]"}"#),
        (#"{"pagination" : {"pageNumber":1,"x":[1,{"y":2}]}, "result":[{"pagination":{"no":1}}]}"#, #"{"pageNumber":1,"x":[1,{"y":2}]}"#),
        (#"{"result":[{"id":"a"}],"pagination":null}"#, nil),
        (#"{"result":[{"id":"a"}],"other":{"pagination":{"pageNumber":3}}}"#, nil),
    ] as [(String, String?)])
    func theCapturedMemberIsKeptWholeWhereverTheChunksBreak(document: String, captured: String?) throws {
        let bytes = Array(document.utf8)
        let expected = try captured.map { try JSONValue.parse($0) }
        for cut in 0...bytes.count {
            var splitter = JSONArraySplitter(captureKey: "pagination")
            var count = 0
            try splitter.feed(bytes[..<cut]) { _ in count += 1 }
            try splitter.feed(bytes[cut...]) { _ in count += 1 }
            try splitter.finish()
            #expect(splitter.captured == expected, "cut at \(cut)")
            #expect(count == (document.contains("\"id\":\"b\"") ? 2 : 1))
        }
        var single = JSONArraySplitter(captureKey: "pagination")
        for byte in bytes { try single.feed([byte]) { _ in } }
        #expect(single.captured == expected, "one byte at a time")
    }

    @Test func aDocumentWithoutTheArrayIsAnError() throws {
        var splitter = JSONArraySplitter()
        try splitter.feed(Array(#"{"success":false,"errors":[{"code":"auth"}]}"#.utf8)) { _ in Issue.record("no element expected") }
        #expect(throws: JSONError.self) { try splitter.finish() }
    }

    @Test func anElementOverTheLimitIsAnError() throws {
        var splitter = JSONArraySplitter(maxElementBytes: 64)
        let big = #"{"result":[""# + String(repeating: "x", count: 100) + #""]}"#
        #expect(throws: JSONError.self) { try splitter.feed(Array(big.utf8)) { _ in } }
    }

    /// Memory: only the element being read is held, however long the array.
    @Test func aLongArrayIsSplitOneElementAtATime() throws {
        var splitter = JSONArraySplitter()
        var count = 0
        try splitter.feed(Array(#"{"success":true,"result":["#.utf8)) { _ in }
        let element = Array(#"{"id":"3f1c2a9e-8d4b-4c1a-9e6f-2b7d5a0c8e11","status":"READY"},"#.utf8)
        for _ in 0..<100_000 { try splitter.feed(element) { _ in count += 1 } }
        try splitter.feed(Array("1]}".utf8)) { _ in count += 1 }
        try splitter.finish()
        #expect(count == 100_001)
    }
}
