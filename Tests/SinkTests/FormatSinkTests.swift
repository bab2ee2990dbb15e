@testable import CSVSink
import Foundation
import JSONStream
import NDJSONSink
import OfferCancelKit
import SummarySink
import Testing
import TestSupport

@Suite struct FormatSinkTests {
    @Test func csvAndNDJSONCarryTheSameRowsFieldForField() async throws {
        let scratch = try Scratch()
        let records = mixedRecords()
        try await drive([try CSVSink(target: scratch.file("out.csv")), try NDJSONSink(target: scratch.file("out.ndjson"), includeOffer: true)],
                        records: records)
        // Python's csv module reads the CSV; each NDJSON line is parsed on its own (as jq would).
        let script = """
            import csv, json, sys
            rows = list(csv.DictReader(open(sys.argv[1], newline='', encoding='utf-8')))
            lines = [json.loads(l) for l in open(sys.argv[2], encoding='utf-8')]
            assert len(rows) == len(lines), (len(rows), len(lines))
            def text(v):
                if v is None: return ''
                if v is True: return 'true'
                if v is False: return 'false'
                return str(v)
            for row, line in zip(rows, lines):
                assert list(row.keys()) == [k for k in line.keys() if k != 'offer'], list(row.keys())
                for key, value in row.items():
                    assert value == text(line[key]), (key, value, line[key])
            print(len(rows))
            """
        #expect(try python(script, [scratch.file("out.csv"), scratch.file("out.ndjson")]) == "\(records.count)\n")
    }

    @Test func theSeedsHardTextIsByteExactInBothSinks() async throws {
        let scratch = try Scratch()
        let records = mixedRecords().filter { $0.outcome == .cancelled }
        try await drive([try CSVSink(target: scratch.file("out.csv")), try NDJSONSink(target: scratch.file("out.ndjson"), includeOffer: true)],
                        records: records)
        let csvNames = try python("""
            import csv, sys
            for row in csv.DictReader(open(sys.argv[1], newline='', encoding='utf-8')):
                sys.stdout.write(row['nftName'] + '\\0' + row['contractName'] + '\\0')
            """, [scratch.file("out.csv")])
        #expect(csvNames == String(repeating: Seed.description + "\0" + Seed.contractDescription + "\0", count: records.count))
        let reader = NDJSONReader(input: try ByteInput(path: scratch.file("out.ndjson")), maxLineLength: 1 << 20)
        var lines = 0
        while let item = try reader.next() {
            let line = try item.value.get()
            #expect(line["nftName"]?.string == Seed.description)
            #expect(line["contractName"]?.string == Seed.contractDescription)
            #expect(line["offer"] == Seed.offer, "the offer object is embedded unchanged")
            #expect(line.value(atPath: "offer.nft.description")?.string == Seed.description)
            lines += 1
        }
        #expect(lines == records.count)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: scratch.file("out.ndjson")))
        #expect(String(decoding: bytes, as: UTF8.self).contains("car’s overall performance"), "UTF-8, not \\u escapes")
    }

    @Test func ndjsonKeysAreTheContractInOrderWithNulls() async throws {
        let scratch = try Scratch()
        var record = CancelRecord(seq: 1, source: "-", line: 1, offerId: "x", outcome: .invalidID)
        record.errorMessage = "not a UUID"
        try await drive([try NDJSONSink(target: scratch.file("o.ndjson"), includeOffer: false)], records: [record])
        let line = try JSONValue.parse(Array(Data(contentsOf: URL(fileURLWithPath: scratch.file("o.ndjson")))))
        #expect(line.members.map(\.key) == CancelRecord.fieldNames)
        #expect(line["httpStatus"]?.isNull == true)
        #expect(line["attempts"]?.integer == 0)
    }

    @Test func ndjsonAppendsWithAPlusTarget() async throws {
        let scratch = try Scratch()
        let records = Array(mixedRecords().prefix(3))
        try await drive([try NDJSONSink(target: scratch.file("log.ndjson"), includeOffer: false)], records: records)
        try await drive([try NDJSONSink(target: "+" + scratch.file("log.ndjson"), includeOffer: false)], records: records)
        let text = try String(contentsOfFile: scratch.file("log.ndjson"), encoding: .utf8)
        #expect(text.split(separator: "\n").count == 6)
    }

    @Test func csvAppendsRowsWithoutASecondHeader() async throws {
        let scratch = try Scratch()
        let records = Array(mixedRecords().prefix(2))
        try await drive([try CSVSink(target: "+" + scratch.file("log.csv"), columns: ["seq", "outcome"])], records: records)
        try await drive([try CSVSink(target: "+" + scratch.file("log.csv"), columns: ["seq", "outcome"])], records: records)
        let text = try String(contentsOfFile: scratch.file("log.csv"), encoding: .utf8)
        #expect(text == "seq,outcome\r\n1,already_closed\r\n2,not_found\r\n1,already_closed\r\n2,not_found\r\n")
    }

    @Test func csvColumnsPickAndOrder() async throws {
        let scratch = try Scratch()
        try await drive([try CSVSink(target: scratch.file("o.csv"), columns: ["outcome", "seq", "errorMessage"])], records: Array(mixedRecords().prefix(4)))
        let text = try String(contentsOfFile: scratch.file("o.csv"), encoding: .utf8)
        #expect(text.hasPrefix("outcome,seq,errorMessage\r\n"))
        #expect(throws: SinkSpecError.self) { try CSVSink(target: scratch.file("x.csv"), columns: ["nope"]) }
    }

    @Test(arguments: [("plain", "plain"), ("a,b", "\"a,b\""), ("say \"hi\"", "\"say \"\"hi\"\"\""), ("two\nlines", "\"two\nlines\""),
                      (" padded", "\" padded\""), ("’", "’"), ("", "")])
    func csvQuotesWhatRFC4180Requires(field: String, expected: String) {
        var row: [UInt8] = []
        CSVSink.appendField(field, to: &row)
        #expect(String(decoding: row, as: UTF8.self) == expected)
    }

    @Test func unwritableTargetsAreSetUpErrors() {
        #expect(throws: SinkSpecError.self) { try CSVSink(target: "/nonexistent/dir/out.csv") }
        #expect(throws: SinkSpecError.self) { try NDJSONSink(target: "/nonexistent/x.ndjson", includeOffer: false) }
        #expect(throws: SinkSpecError.self) { try SummarySink(style: .json, target: nil) }
        #expect(throws: SinkSpecError.self) { try SummarySink(style: .json, target: "/nonexistent/s.json") }
    }
}

@Suite struct SummarySinkTests {
    @Test func summaryJSONCountsEqualTheRecords() async throws {
        let scratch = try Scratch()
        let records = mixedRecords(count: 57)
        try await drive([try SummarySink(style: .json, target: scratch.file("stats.json"))], records: records)
        let stats = try JSONValue.parse(Array(Data(contentsOf: URL(fileURLWithPath: scratch.file("stats.json")))))
        #expect(stats["total"]?.integer == 57)
        for outcome in Outcome.allCases {
            #expect(stats["outcomes"]?[outcome.rawValue]?.integer == Int64(records.filter { $0.outcome == outcome }.count))
        }
        #expect(stats["ok"]?.integer == Int64(records.filter { $0.outcome.isOK }.count))
        let sent = records.filter { $0.attempts > 0 }
        #expect(stats["requests"]?.integer == Int64(sent.map(\.attempts).reduce(0, +)))
        #expect(stats["retries"]?.integer == Int64(sent.map { $0.attempts - 1 }.reduce(0, +)))
        #expect(stats["httpStatus"]?["409"]?.integer == Int64(records.filter { $0.httpStatus == 409 }.count))
        let latency = try #require(stats["latencyMs"])
        #expect((latency["min"]?.number ?? 0) <= (latency["p50"]?.number ?? 0))
        #expect((latency["p50"]?.number ?? 0) <= (latency["p99"]?.number ?? 0))
        #expect(abs((latency["max"]?.number ?? 0) - (sent.compactMap(\.latencyMs).max() ?? 0)) < 0.1)
        #expect(stats["durationSeconds"]?.number == 2)
        #expect(stats["interrupted"]?.bool == false)
        #expect(stats["topErrorCodes"]?.count ?? 0 > 0)
        #expect(!FileManager.default.fileExists(atPath: scratch.file("stats.json.tmp-\(getpid())")), "temporary file renamed away")
    }

    @Test func textSummaryIsReadableAtAGlance() async throws {
        let scratch = try Scratch()
        try await drive([try SummarySink(style: .text, target: scratch.file("summary.txt"))], records: mixedRecords(count: 30), interrupted: true)
        let lines = try String(contentsOfFile: scratch.file("summary.txt"), encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("offer-cancel: 30 records in 2.00 s") == true)
        #expect(lines.first?.contains("interrupted") == true)
        let labels = lines.dropFirst().map { $0.split(separator: " ").first.map(String.init) ?? "" }
        #expect(labels == ["outcomes", "http", "requests", "latency", "confirmed", "errors"])
        #expect(lines[1].contains("cancelled 3"))
        #expect(lines.allSatisfy { $0.count < 160 && !$0.contains("\u{1B}") })
    }
}
