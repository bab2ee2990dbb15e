import Foundation
import JSONStream
import Testing

@Suite struct ReaderTests {
    @Test func ndjsonReportsABadLineAndGoesOn() throws {
        let file = try TemporaryFile("{\"a\":1}\n\n{\"a\":\n{\"a\":3}\r\n  \n[1,2,]\n\"last\"")
        let reader = NDJSONReader(input: try file.input(chunkSize: 5))
        var items: [NDJSONReader.Item] = []
        while let item = try reader.next() { items.append(item) }
        #expect(items.map(\.line) == [1, 3, 4, 6, 7])
        #expect(try items[0].value.get()["a"]?.integer == 1)
        guard case .failure(let error) = items[1].value else { Issue.record("line 3 should fail"); return }
        #expect(error.line == 3)
        #expect(try items[2].value.get()["a"]?.integer == 3)
        guard case .failure(let trailingComma) = items[3].value else { Issue.record("line 6 should fail"); return }
        #expect(trailingComma.line == 6)
        #expect(trailingComma.column == 6)
        #expect(try items[4].value.get().string == "last")
    }

    @Test func concatenatedValuesSplitAcrossChunks() throws {
        let file = try TemporaryFile("12345 {\"k\":[1,2,3]}\n\"text\" 67890\ntrue")
        let reader = JSONValueReader(input: try file.input(chunkSize: 3))
        var values: [String] = []
        while let value = try reader.next() { values.append(value.serialized()) }
        #expect(values == ["12345", "{\"k\":[1,2,3]}", "\"text\"", "67890", "true"])
    }

    @Test func concatenatedReaderLocatesErrorsAndRecovers() throws {
        let file = try TemporaryFile("{\"a\":1}\n{\"b\": ?}\n{\"c\":3}")
        let reader = JSONValueReader(input: try file.input(chunkSize: 4))
        #expect(try reader.next()?["a"]?.integer == 1)
        let error = try #require(throws: JSONError.self) { try reader.next() }
        #expect(error.line == 2)
        #expect(error.column == 7)
        try reader.skipLine()
        #expect(try reader.next()?["c"]?.integer == 3)
        #expect(try reader.next() == nil)
    }

    @Test func elementReaderStreamsTheAPIEnvelope() throws {
        let file = try TemporaryFile(#"{"success": true, "meta": {"x": [1]}, "result": [{"id": "a"}, {"id": "b"}, "c"]}"#)
        let reader = JSONElementReader(reader: JSONValueReader(input: try file.input(chunkSize: 4)))
        var ids: [String] = []
        while let element = try reader.next() { ids.append(element["id"]?.string ?? element.string ?? "?") }
        #expect(ids == ["a", "b", "c"])
        #expect(reader.envelope["success"]?.bool == true)
    }

    @Test(arguments: ["[]", "[ ]", " [\n\"x\" ,\n\"y\"\n]\n", "{\"result\":[]}"])
    func elementReaderHandlesPlainArrays(json: String) throws {
        let file = try TemporaryFile(json)
        let reader = JSONElementReader(reader: JSONValueReader(input: try file.input(chunkSize: 2)))
        var count = 0
        while try reader.next() != nil { count += 1 }
        #expect(count == (json.contains("x") ? 2 : 0))
    }

    @Test(arguments: ["[1, 2", "{\"success\":true}", "[1 2]", "42"])
    func elementReaderRejectsWhatIsNotAnArray(json: String) throws {
        let file = try TemporaryFile(json)
        let reader = JSONElementReader(reader: JSONValueReader(input: try file.input()))
        #expect(throws: JSONError.self) {
            while try reader.next() != nil {}
        }
    }

    @Test func linesLongerThanTheLimitAreSkippedNotBuffered() throws {
        let long = String(repeating: "x", count: 1_000_000)
        let file = try TemporaryFile("short\r\n\(long)\nafter")
        let lines = LineReader(input: try file.input(chunkSize: 4096), maxLength: 64 * 1024)
        var seen: [String] = []
        while let line = try lines.next() {
            switch line.content {
            case .bytes(let bytes): seen.append("\(line.number):\(String(decoding: bytes, as: UTF8.self))")
            case .tooLong(let length): seen.append("\(line.number):long \(length)")
            }
        }
        #expect(seen == ["1:short", "2:long 1000000", "3:after"])
        #expect(lines.input.highWaterMark < 80 * 1024)
    }

    @Test func tenMegabytesOfNDJSONKeepTheBufferBounded() throws {
        let line = Array(#"{"id":"ebb1574a-bf3b-43a9-8bf5-ee7b30044f10","note":"caf\u00e9 ’ \"q\""}"#.utf8) + [0x0A]
        let repeats = 10 * 1024 * 1024 / line.count + 1
        var bytes: [UInt8] = []
        bytes.reserveCapacity(repeats * line.count)
        for _ in 0..<repeats { bytes.append(contentsOf: line) }
        let file = try TemporaryFile(bytes)
        let reader = NDJSONReader(input: try file.input())
        var count = 0
        while let item = try reader.next() {
            _ = try item.value.get()
            count += 1
        }
        #expect(count == repeats)
        #expect(reader.highWaterMark <= 2 * 64 * 1024, "buffer high-water mark \(reader.highWaterMark)")
    }
}
