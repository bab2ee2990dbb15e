import JSONStream
import OfferCancelKit
import Testing

/// Records are written straight to bytes, without a jansson tree: the bytes must be exactly
/// what jansson dumps for the object the first release built, field by field.
@Suite struct RecordJSONTests {
    /// The first release's way: a jansson object of every field, dumped at NDJSON's precision.
    func janssonBytes(_ record: CancelRecord, includeOffer: Bool) -> [UInt8] {
        let members = CancelRecord.fields.map { field -> (String, JSONValue) in
            switch field.value(record) {
            case .text(let text): (field.name, .string(text))
            case .integer(let value): (field.name, .integer(Int64(value)))
            case .number(let value): (field.name, .real(value))
            case .bool(let value): (field.name, .bool(value))
            case .json(let value): (field.name, value)
            case nil: (field.name, .null)
            }
        }
        let object = JSONValue.object(members + (includeOffer ? [("offer", record.offer ?? .null)] : []))
        var buffer = JSONWriteBuffer(realPrecision: 15)
        buffer.append(object)
        return buffer.bytes
    }

    func directBytes(_ record: CancelRecord, includeOffer: Bool) -> [UInt8] {
        var buffer = JSONWriteBuffer(realPrecision: 15)
        record.appendJSON(to: &buffer, includeOffer: includeOffer)
        return buffer.bytes
    }

    @Test(arguments: [false, true])
    func everyOutcomeMatchesJansson(includeOffer: Bool) {
        for record in mixedRecords(count: 60) {
            #expect(directBytes(record, includeOffer: includeOffer) == janssonBytes(record, includeOffer: includeOffer))
        }
    }

    /// Every byte that needs escaping, and text that does not.
    @Test(arguments: [
        "", "plain", "quote \" backslash \\ slash /", "tab\tnew\nline\rcr", "\u{0}nul\u{1}\u{8}\u{C}\u{1F}\u{7F}",
        String((0..<128).map { Character(Unicode.Scalar(UInt8($0))) }),
        "’ é 漢字 🦊 \u{2028}\u{2029}", "ends with \\", "\"",
    ])
    func textMatchesJansson(text: String) {
        var record = CancelRecord(seq: 1, source: text, line: 2, offerId: text, outcome: .failed)
        record.errorMessage = text
        #expect(directBytes(record, includeOffer: false) == janssonBytes(record, includeOffer: false))
    }

    @Test(arguments: [0.0, -0.0, 8.0, 19.011, 0.001, 123_456.789, 1e20, 1e-7, 2.5e-300, 1.7976931348623157e308, 3.14159265358979, -42.5])
    func numbersMatchJansson(value: Double) {
        var record = CancelRecord(seq: Int.max, source: "-", line: Int.min, offerId: "x", outcome: .cancelled)
        record.latencyMs = value
        record.waitMs = -value
        record.httpStatus = -1
        #expect(directBytes(record, includeOffer: false) == janssonBytes(record, includeOffer: false))
    }
}
