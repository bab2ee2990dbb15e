import Foundation
@testable import OfferCancelKit
import Testing
import TestSupport

func readAll(_ paths: [String], format: InputFormat = .auto, idColumn: String? = nil, idField: String? = nil,
             pattern: String? = nil, dedupe: Bool = true, stdin: Int32 = STDIN_FILENO) async throws -> [InputItem] {
    var options = IDSourceOptions(validator: try IDValidator(pattern: pattern))
    options.format = format
    options.idColumn = idColumn
    options.idField = idField
    options.dedupe = dedupe
    var items: [InputItem] = []
    for try await item in try IDSource.open(paths, options: options, stdin: stdin) { items.append(item) }
    return items
}

/// `line:kind[:id]` for each item, the shape the torture table speaks in.
func summarize(_ items: [InputItem]) -> [String] {
    items.map { item in
        switch item.disposition {
        case .valid(let id): "\(item.line):valid:\(id)"
        case .duplicate(let id): "\(item.line):duplicate:\(id)"
        case .invalid: "\(item.line):invalid"
        }
    }
}

let u1 = "ebb1574a-bf3b-43a9-8bf5-ee7b30044f10"
let u2 = "0b7a1a2e-6c1d-4a5e-9f3b-2d4c6e8f0a1b"
let u3 = "5f1e2d3c-4b5a-4968-8776-655443322110"

struct TortureCase: CustomTestStringConvertible, Sendable {
    var name: String
    var fileName: String
    var bytes: [UInt8]
    var format: InputFormat = .auto
    var idColumn: String?
    var idField: String?
    var pattern: String?
    var expected: [String]
    var testDescription: String { name }
}

let tortureCases: [TortureCase] = [
    .init(name: "BOM", fileName: "ids.txt", bytes: [0xEF, 0xBB, 0xBF] + Array("\(u1.uppercased())\n".utf8), expected: ["1:valid:\(u1)"]),
    .init(name: "CRLF", fileName: "ids.txt", bytes: Array("\(u1)\r\n\(u2)\r\n".utf8), expected: ["1:valid:\(u1)", "2:valid:\(u2)"]),
    .init(name: "comments, blanks, whitespace", fileName: "ids.txt", bytes: Array("# export\n\n   \(u1)  \n\t#\(u2)\n\(u2)".utf8),
          expected: ["3:valid:\(u1)", "5:valid:\(u2)"]),
    .init(name: "mixed-case UUIDs dedupe", fileName: "ids", bytes: Array("\(u1.uppercased())\n\(u1)\nEbB1574A-bf3b-43a9-8BF5-ee7b30044f10\n".utf8),
          expected: ["1:valid:\(u1)", "2:duplicate:\(u1)", "3:duplicate:\(u1)"]),
    .init(name: "path hazards", fileName: "ids.txt", bytes: Array("../x\na/b\n%2F\n\(u1)?x\n\(u1)#\n..\nback\\slash\n".utf8),
          expected: (1...7).map { "\($0):invalid" }),
    .init(name: "empty file", fileName: "empty.txt", bytes: [], expected: []),
    .init(name: "1 MB line", fileName: "ids.txt", bytes: Array("\(u1)\n\(String(repeating: "x", count: 1 << 20))\n\(u2)\n".utf8),
          expected: ["1:valid:\(u1)", "2:invalid", "3:valid:\(u2)"]),
    .init(name: "NUL byte", fileName: "ids.txt", bytes: Array("ebb1574a\0".utf8) + Array("-bf3b\n\(u2)\n".utf8), expected: ["1:invalid", "2:valid:\(u2)"]),
    .init(name: "invalid UTF-8", fileName: "ids.txt", bytes: [0xFF, 0xFE, 0x41, 0x0A] + Array(u1.utf8), expected: ["1:invalid", "2:valid:\(u1)"]),
    .init(name: "truncated last line", fileName: "ids.txt", bytes: Array("\(u1)\n\(u2.prefix(20))".utf8), expected: ["1:valid:\(u1)", "2:invalid"]),
    .init(name: "last line without newline", fileName: "ids.txt", bytes: Array("\(u1)\n\(u2)".utf8), expected: ["1:valid:\(u1)", "2:valid:\(u2)"]),
    .init(name: "quoted CSV with newlines in fields", fileName: "offers.csv",
          bytes: Array("name,id\n\"two\nlines, with comma\",\(u1)\n\"say \"\"hi\"\"\",\"\(u2)\"\r\nplain,\(u3)\n".utf8),
          expected: ["2:valid:\(u1)", "4:valid:\(u2)", "5:valid:\(u3)"]),
    .init(name: "CSV ID column not first", fileName: "offers.csv", bytes: Array("name,price,offerId\nA,10,\(u1)\nB,20,not-an-id\n\nC,30\n".utf8),
          expected: ["2:valid:\(u1)", "3:invalid", "5:invalid"]),
    .init(name: "CSV by column number", fileName: "export", bytes: Array("a,b\nx,\(u1)\n".utf8), format: .csv, idColumn: "2", expected: ["2:valid:\(u1)"]),
    .init(name: "CSV with BOM and header case", fileName: "offers.csv", bytes: [0xEF, 0xBB, 0xBF] + Array("Offer_ID\n\(u1)\n".utf8), expected: ["2:valid:\(u1)"]),
    .init(name: "CSV in a .txt file, found by its header", fileName: "export.txt", bytes: Array("name,offerId\nA,\(u1)\n".utf8), expected: ["2:valid:\(u1)"]),
    .init(name: "CSV without an extension, quoted header after blank lines", fileName: "export", bytes: Array("\n\"price\",\"ID\"\r\n10,\(u2)\r\n".utf8),
          expected: ["3:valid:\(u2)"]),
    .init(name: "CSV found by the --id-column name", fileName: "export.txt", bytes: Array("token,price\n\(u1),10\n".utf8), idColumn: "Token",
          expected: ["2:valid:\(u1)"]),
    .init(name: "a quote not at the field's start is no header, as the CSV decoder reads it", fileName: "export", bytes: Array("price, \"id\"\n\(u1)\n".utf8),
          expected: ["1:invalid", "2:valid:\(u1)"]),
    .init(name: "lines stay lines when the first line names no ID column", fileName: "ids.txt", bytes: Array("offer,ids\n\(u1)\n".utf8),
          expected: ["1:invalid", "2:valid:\(u1)"]),
    .init(name: "NDJSON objects, strings, bad lines", fileName: "ids.ndjson",
          bytes: Array("{\"id\":\"\(u1)\"}\n\"\(u2)\"\n{\"name\":\"x\"}\n{bad\n\n{\"offerId\":\"\(u3)\"}\n{\"id\":42}\n".utf8),
          expected: ["1:valid:\(u1)", "2:valid:\(u2)", "3:invalid", "4:invalid", "6:valid:\(u3)", "7:invalid"]),
    .init(name: "NDJSON dotted id field", fileName: "ids.jsonl", bytes: Array("{\"offer\":{\"id\":\"\(u1)\"}}\n".utf8), idField: "offer.id",
          expected: ["1:valid:\(u1)"]),
    .init(name: "JSON envelope as GET /user/offers returns it", fileName: "export.json",
          bytes: Array("{\n  \"success\": true,\n  \"result\": [\n    {\"id\": \"\(u1)\", \"status\": \"READY\"},\n    {\"id\": \"\(u2)\"}\n  ]\n}\n".utf8),
          expected: ["4:valid:\(u1)", "5:valid:\(u2)"]),
    .init(name: "JSON array of IDs, sniffed", fileName: "ids", bytes: Array("[\"\(u1)\",\n \"\(u2)\", 7]".utf8),
          expected: ["1:valid:\(u1)", "2:valid:\(u2)", "2:invalid"]),
    .init(name: "JSON document broken part-way", fileName: "ids.json", bytes: Array("[\"\(u1)\",\n\"\(u2)\"\n\"\(u3)\"]".utf8),
          expected: ["1:valid:\(u1)", "2:valid:\(u2)", "3:invalid"]),
    .init(name: "envelope on one line, sniffed", fileName: "out", bytes: Array("{\"success\":true,\"result\":[\"\(u1)\"]}".utf8), expected: ["1:valid:\(u1)"]),
    .init(name: "--id-pattern admits other shapes, never path hazards", fileName: "ids.txt", bytes: Array("ABC-123\nabc/def\nABC-1234x\nAB..C\n".utf8),
          pattern: "[A-Z.]+-?[0-9A-Z]*", expected: ["1:valid:ABC-123", "2:invalid", "3:invalid", "4:invalid"]),
    .init(name: "non-ASCII whitespace and controls never pass", fileName: "ids.txt", bytes: Array("ABC\u{00A0}1\nABC\u{2028}1\nABC\u{0085}1\nABÇ1\n".utf8),
          pattern: ".+", expected: ["1:invalid", "2:invalid", "3:invalid", "4:valid:ABÇ1"]),
    .init(name: "dot segments are invalid under any pattern", fileName: "ids.txt", bytes: Array(".\n..\n...\na.b\n".utf8),
          pattern: ".*", expected: ["1:invalid", "2:invalid", "3:invalid", "4:valid:a.b"]),
    .init(name: "a UUID under a custom pattern is folded to lower case, and dedupes", fileName: "ids.txt",
          bytes: Array("AAAAAAAA-0000-4000-8000-000000000001\naaaaaaaa-0000-4000-8000-000000000001\n".utf8),
          pattern: "[0-9A-Fa-f-]+", expected: ["1:valid:aaaaaaaa-0000-4000-8000-000000000001", "2:duplicate:aaaaaaaa-0000-4000-8000-000000000001"]),
]

@Suite struct InputTests {
    @Test(arguments: tortureCases)
    func tortureTable(_ row: TortureCase) async throws {
        let scratch = try Scratch()
        let path = try scratch.file(row.fileName, row.bytes)
        let items = try await readAll([path], format: row.format, idColumn: row.idColumn, idField: row.idField, pattern: row.pattern)
        #expect(summarize(items) == row.expected)
        #expect(items.map(\.seq) == Array(1...max(items.count, 1)).prefix(items.count).map { $0 })
        for item in items {
            if case .invalid(let reason) = item.disposition { #expect(!reason.reason.isEmpty) }
        }
    }

    @Test func invalidItemsSayWhy() async throws {
        let scratch = try Scratch()
        let path = try scratch.file("ids.txt", "a/b\nnot-a-uuid\n\(String(repeating: "y", count: 70_000))\n")
        let reasons = try await readAll([path]).compactMap { item -> String? in
            if case .invalid(let invalid) = item.disposition { return invalid.reason }
            return nil
        }
        #expect(reasons == ["contains '/', which could change the URL path", "not a UUID", "line of 70000 bytes is longer than 65536"])
    }

    @Test func severalInputsAndStdinKeepOrderAndNames() async throws {
        let scratch = try Scratch()
        let first = try scratch.file("first.txt", "\(u1)\n")
        let last = try scratch.file("last.csv", "id\n\(u3)\n\(u1)\n")
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let text = Array("\(u2)\n# c\n\(u2)\n".utf8)
        #expect(write(fds[1], text, text.count) == text.count)
        close(fds[1])
        defer { close(fds[0]) }
        let items = try await readAll([first, "-", last], stdin: fds[0])
        #expect(items.map(\.source) == [first, "-", "-", last, last])
        #expect(items.map(\.seq) == [1, 2, 3, 4, 5])
        #expect(summarize(items) == ["1:valid:\(u1)", "1:valid:\(u2)", "3:duplicate:\(u2)", "2:valid:\(u3)", "3:duplicate:\(u1)"])
    }

    @Test func noDedupeSendsRepeats() async throws {
        let scratch = try Scratch()
        let path = try scratch.file("ids.txt", "\(u1)\n\(u1)\n")
        #expect(summarize(try await readAll([path], dedupe: false)) == ["1:valid:\(u1)", "2:valid:\(u1)"])
    }

    @Test func unreadableInputsAreReportedBeforeReading() throws {
        let scratch = try Scratch()
        let csv = try scratch.file("no-id.csv", "name,price\nx,1\n")
        let options = IDSourceOptions(validator: try IDValidator())
        let cases: [([String], String)] = [
            ([scratch.path + "/missing.txt"], "No such file or directory"),
            ([scratch.path], "is a directory"),
            ([csv], "has no id, offerId or offer_id column"),
            (["-", "-"], "more than once"),
        ]
        for (paths, message) in cases {
            let error = try #require(throws: InputError.self) { _ = try IDSource.open(paths, options: options) }
            #expect(error.message.contains(message), "\(error.message)")
        }
        var named = options
        named.idColumn = "offer"
        let error = try #require(throws: InputError.self) { _ = try IDSource.open([csv], options: named) }
        #expect(error.message.contains("no column named \"offer\""))
    }

    @Test func unreadableFileIsReportedWhenNotRoot() throws {
        guard geteuid() != 0 else { return }  // root reads anything; covered by the end-to-end exit-2 test otherwise
        let scratch = try Scratch()
        let path = try scratch.file("secret.txt", "\(u1)\n")
        chmod(path, 0)
        let error = try #require(throws: InputError.self) { _ = try IDSource.open([path], options: IDSourceOptions(validator: try IDValidator())) }
        #expect(error.message.contains("Permission denied"))
    }

    @Test func dedupeKeysAreSixteenBytes() throws {
        #expect(MemoryLayout<DedupeKey>.size == 16)
        let validator = try IDValidator()
        let lower = try validator.validate(u1).get(), upper = try validator.validate(u1.uppercased()).get()
        #expect(lower.key == upper.key)
        #expect(lower.text == upper.text)
        var dedupe = DedupeSet()
        let inserted = [dedupe.insert(lower), dedupe.insert(upper), dedupe.insert(try validator.validate(u2).get())]
        #expect(inserted == [true, false, true])
        #expect(dedupe.count == 2)
    }

    @Test func aMillionIDsStreamWithoutHoldingTheInput() async throws {
        let scratch = try Scratch()
        var text = ""
        text.reserveCapacity(200_000 * 37)
        for n in 0..<200_000 { text += String(format: "%08x-0000-4000-8000-%012x\n", n, n) }
        let path = try scratch.file("big.txt", text)
        var count = 0
        for try await item in try IDSource.open([path], options: IDSourceOptions(validator: try IDValidator())) {
            guard case .valid = item.disposition else { Issue.record("item \(item.seq) not valid"); break }
            count += 1
        }
        #expect(count == 200_000)
    }
}

@Suite struct DedupeSetTests {
    @Test func findsWhatItHoldsAndNothingElse() {
        var set = DedupeSet()
        var keys: [DedupeKey] = (1...5000).map { DedupeKey(high: UInt64($0) &* 0x9E37_79B9_7F4A_7C15, low: UInt64($0)) }
        keys.append(DedupeKey(high: 0, low: 0))
        keys.append(DedupeKey(high: 0, low: 1))
        let first = keys.map { set.insert($0) }, second = keys.map { set.insert($0) }
        #expect(first.allSatisfy { $0 })
        #expect(second.allSatisfy { !$0 })
        #expect(set.count == keys.count)
        #expect(keys.allSatisfy(set.contains))
        #expect(!set.contains(DedupeKey(high: 1, low: 0)))
    }

    @Test(arguments: [1_000, 10_000, 100_000, 250_000])
    func staysUnderThirtyTwoBytesPerID(count: Int) throws {
        var set = DedupeSet()
        let validator = try IDValidator()
        for n in 0..<count {
            let id = try validator.validate(String(format: "%08x-%04x-4000-8000-%012x", n * 7919, n & 0xFFFF, n)).get()
            _ = set.insert(id.key)
        }
        #expect(set.count == count)
        // 256 empty 16-slot shards (64 KiB) to begin with, then at most 32 bytes per ID.
        #expect(set.storageBytes <= 65_536 + 32 * count, "\(set.storageBytes / count) bytes per ID")
        if count >= 100_000 { #expect(Double(set.storageBytes) / Double(count) <= 32) }
    }
}
