import Foundation
import JSONStream
import Testing

@Suite struct JSONValueTests {
    @Test func seedReplyReadsBackWithItsTypes() throws {
        let reply = try JSONValue.parse(Array(Data(contentsOf: Fixture.seedReply)))
        #expect(reply["success"]?.bool == true)
        let offer = try #require(reply["result"])
        #expect(offer["id"]?.string == "ebb1574a-bf3b-43a9-8bf5-ee7b30044f10")
        #expect(offer["nft"]?["id"]?.kind == .string)
        #expect(offer["nft"]?["id"]?.string == "2034")
        #expect(offer.value(atPath: "nft.contract.name")?.string == "Battle Racers")
        #expect(offer.value(atPath: "nft.contract.count")?.integer == 0)
        #expect(offer["price"]?.integer == 10000)
        #expect(offer["signed"]?.bool == true)
        #expect(offer["nft"]?["attributes"]?.count == 10)
        #expect(offer["nft"]?["attributes"]?[9]?["name"]?.string == "speed")
        #expect(offer["nft"]?["attributes"]?[10] == nil)
        let description = try #require(offer.value(atPath: "nft.description")?.string)
        #expect(description.hasPrefix("\"Blockchain Means Business\"\n\nArkane"))
        #expect(offer.value(atPath: "nft.contract.description")?.string?.contains("car’s overall") == true)
        #expect(offer["missing"] == nil)
        #expect(offer.value(atPath: "nft.missing.deeper") == nil)
    }

    @Test func seedReplyRoundTripsThroughAWrittenLine() throws {
        let reply = try JSONValue.parse(Array(Data(contentsOf: Fixture.seedReply)))
        let file = try TemporaryFile("")
        let fd = open(file.path, O_WRONLY | O_TRUNC)
        defer { close(fd) }
        var buffer = JSONWriteBuffer()
        for _ in 0..<2 {
            buffer.removeAll()
            buffer.append(reply)
            buffer.append(0x0A)
            try writeAll(buffer.bytes, to: fd)
        }
        let text = try String(contentsOfFile: file.path, encoding: .utf8)
        #expect(text.split(separator: "\n").count == 2)
        #expect(text.contains("car’s"), "non-ASCII stays UTF-8, not \\u escapes")
        let reader = NDJSONReader(input: try file.input())
        let first = try #require(try reader.next())
        #expect(try first.value.get() == reply)
        #expect(try reader.next()?.line == 2)
        #expect(try reader.next() == nil)
    }

    @Test(arguments: [
        (#""say \"hi\"""#, "say \"hi\""),
        (#""line\nbreak""#, "line\nbreak"),
        (#""\u2019""#, "’"),
        (#""’ é 日本 😀""#, "’ é 日本 😀"),
        (#""\ud83d\ude00""#, "😀"),
        (#""tab\there\\""#, "tab\there\\"),
        (#""""#, ""),
    ])
    func stringEscapesDecodeAndReencode(json: String, expected: String) throws {
        let value = try JSONValue.parse(json)
        #expect(value.string == expected)
        #expect(try JSONValue.parse(value.serialized()) == value)
        #expect(JSONValue.string(expected) == value)
    }

    @Test(arguments: [
        ("9223372036854775807", JSONValue.Kind.integer),
        ("-9223372036854775808", .integer),
        ("0", .integer),
        ("-0.0", .real),
        ("1.7976931348623157e308", .real),
        ("5e-324", .real),
        ("{}", .object),
        ("[]", .array),
        ("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", .array),
        ("null", .null),
        ("true", .bool),
    ])
    func edgeValuesKeepTheirKindAndRoundTrip(json: String, kind: JSONValue.Kind) throws {
        let value = try JSONValue.parse(json)
        #expect(value.kind == kind)
        #expect(try JSONValue.parse(value.serialized()) == value)
    }

    @Test func integersAtTheEdgesAreExact() throws {
        #expect(try JSONValue.parse("9223372036854775807").integer == Int64.max)
        #expect(try JSONValue.parse("-9223372036854775808").integer == Int64.min)
        #expect(try JSONValue.parse("0.5").integer == nil)
        #expect(try JSONValue.parse("0.5").number == 0.5)
        #expect(throws: JSONError.self) { try JSONValue.parse("9223372036854775808") }
    }

    @Test func uint256StaysAStringWhenQuoted() throws {
        let big = "115792089237316195423570985008687907853269984665640564039457584007913129639935"
        let value = try JSONValue.parse("{\"id\":\"\(big)\"}")
        #expect(value["id"]?.string == big)
        #expect(value.serialized() == "{\"id\":\"\(big)\"}")
    }

    @Test(arguments: [
        ("{\"a\":1,}", 1, 8),
        ("{\n  \"a\": tru\n}", 2, 10),
        ("[1, 2", 1, 5),
        ("{\"a\":\n\n  [1, 2,,]}", 3, 9),
        ("", 1, 1),
        ("\"abc", 1, 4),
    ])
    func malformedInputReportsWhere(json: String, line: Int, column: Int) throws {
        let error = try #require(throws: JSONError.self) { try JSONValue.parse(json) }
        #expect(error.line == line)
        #expect(error.column == column)
        #expect(!error.text.isEmpty)
    }

    @Test func truncatedInputIsReportedAsTruncated() throws {
        let error = try #require(throws: JSONError.self) { try JSONValue.parse("{\"a\": [1, 2") }
        #expect(error.kind == .truncated)
    }

    @Test func nulInsideAStringIsRejected() throws {
        let error = try #require(throws: JSONError.self) { try JSONValue.parse(#"{"a":"x\u0000y"}"#) }
        #expect(error.text.contains("NUL") || error.text.contains("\\u0000"))
        #expect(throws: JSONError.self) { try JSONValue.parse([0x22, 0x61, 0x00, 0x62, 0x22]) }
    }

    @Test func buildingObjectsKeepsOrderAndTypes() throws {
        let built = JSONValue.object([
            ("s", .string("a\"b\n’")), ("i", .integer(-3)), ("r", .real(1.5)), ("b", .bool(false)), ("n", .null),
            ("a", .array([.integer(1), .object([])])),
        ])
        #expect(built.serialized() == #"{"s":"a\"b\n’","i":-3,"r":1.5,"b":false,"n":null,"a":[1,{}]}"#)
        #expect(built.members.map(\.key) == ["s", "i", "r", "b", "n", "a"])
        #expect(JSONValue.real(.nan).isNull)
    }

    @Test func childrenOutliveTheirParent() throws {
        var child: JSONValue?
        do {
            let parent = try JSONValue.parse(#"{"inner":{"name":"kept"}}"#)
            child = parent["inner"]
        }
        #expect(child?["name"]?.string == "kept")
    }
}
