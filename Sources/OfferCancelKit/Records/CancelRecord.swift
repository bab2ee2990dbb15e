import JSONStream

/// The one result every input item ends as: what every sink sees.
///
/// Field names and order (``fieldNames``) are the public contract of NDJSON keys and CSV
/// headers. Absent values are `nil` (JSON `null`, an empty CSV cell).
public struct CancelRecord: Sendable {
    public var seq: Int
    public var source: String
    public var line: Int
    /// The canonical ID for valid items; the text as read for invalid ones.
    public var offerId: String
    public var outcome: Outcome
    public var httpStatus: Int?
    /// Requests sent for this ID (0 when none was).
    public var attempts: Int = 0
    /// The final attempt: request written to reply read.
    public var latencyMs: Double?
    /// Time spent waiting on flow control, the rate and backoff between attempts.
    public var waitMs: Double?
    public var startedAt: Timestamp?
    public var finishedAt: Timestamp?
    public var offerStatus: String?
    public var offerType: String?
    /// The reply's price, a JSON number kept exactly as the API wrote it.
    public var price: JSONValue?
    public var sellerAddress: String?
    /// Kept as a string: it can be a 78-digit uint256.
    public var nftId: String?
    public var nftName: String?
    public var nftAddress: String?
    public var chain: String?
    public var contractName: String?
    public var errorCode: String?
    public var errorMessage: String?
    public var traceCode: String?
    /// With `--confirm`: whether the offer was seen CLOSED in time.
    public var confirmed: Bool?
    /// With `--confirm`: milliseconds from the accepted cancel to the offer seen CLOSED (for
    /// the summaries; not a record field).
    public var confirmationMs: Double?
    /// The reply's whole `offer` object, for sinks that embed it (`--include-offer`).
    public var offer: JSONValue?

    public init(seq: Int, source: String, line: Int, offerId: String, outcome: Outcome) {
        self.seq = seq
        self.source = source
        self.line = line
        self.offerId = offerId
        self.outcome = outcome
    }

    /// A field's name and how to read it from a record.
    public struct Field: Sendable {
        public let name: String
        /// The field's value in `record`, `nil` when absent.
        public let value: @Sendable (_ record: CancelRecord) -> FieldValue?
    }

    /// Every field, in contract order: the one list NDJSON, CSV and ``field(_:)`` all read.
    public static let fields: [Field] = [
        Field(name: "seq") { .integer($0.seq) },
        Field(name: "source") { .text($0.source) },
        Field(name: "line") { .integer($0.line) },
        Field(name: "offerId") { .text($0.offerId) },
        Field(name: "outcome") { .text($0.outcome.rawValue) },
        Field(name: "httpStatus") { $0.httpStatus.map(FieldValue.integer) },
        Field(name: "attempts") { .integer($0.attempts) },
        Field(name: "latencyMs") { $0.latencyMs.map { .number(roundedMs($0)) } },
        Field(name: "waitMs") { $0.waitMs.map { .number(roundedMs($0)) } },
        Field(name: "startedAt") { $0.startedAt.map { .text($0.rfc3339) } },
        Field(name: "finishedAt") { $0.finishedAt.map { .text($0.rfc3339) } },
        Field(name: "offerStatus") { $0.offerStatus.map(FieldValue.text) },
        Field(name: "offerType") { $0.offerType.map(FieldValue.text) },
        Field(name: "price") { $0.price.map(FieldValue.json) },
        Field(name: "sellerAddress") { $0.sellerAddress.map(FieldValue.text) },
        Field(name: "nftId") { $0.nftId.map(FieldValue.text) },
        Field(name: "nftName") { $0.nftName.map(FieldValue.text) },
        Field(name: "nftAddress") { $0.nftAddress.map(FieldValue.text) },
        Field(name: "chain") { $0.chain.map(FieldValue.text) },
        Field(name: "contractName") { $0.contractName.map(FieldValue.text) },
        Field(name: "errorCode") { $0.errorCode.map(FieldValue.text) },
        Field(name: "errorMessage") { $0.errorMessage.map(FieldValue.text) },
        Field(name: "traceCode") { $0.traceCode.map(FieldValue.text) },
        Field(name: "confirmed") { $0.confirmed.map(FieldValue.bool) },
    ]

    /// Every field name, in contract order (NDJSON keys, CSV headers).
    public static let fieldNames = fields.map(\.name)

    private static let fieldsByName = Dictionary(uniqueKeysWithValues: fields.map { ($0.name, $0) })

    /// The field named `name`, for sinks that pick columns once and read them per record.
    public static func field(named name: String) -> Field? { fieldsByName[name] }

    /// A field's value by contract name, as a typed scalar; `nil` when absent or unknown.
    public func field(_ name: String) -> FieldValue? {
        Self.fieldsByName[name]?.value(self)
    }

    /// Latency to the microsecond, as records carry it.
    static func roundedMs(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }

    /// One field's value, typed the way JSON would carry it.
    public enum FieldValue: Sendable {
        case text(String)
        case integer(Int)
        case number(Double)
        case bool(Bool)
        /// A JSON scalar taken from the reply as it was (a price).
        case json(JSONValue)

        /// The value as CSV or a person would read it.
        public var text: String {
            switch self {
            case .text(let text): text
            case .integer(let value): String(value)
            case .number(let value): String(value)  // as JSON writes it: 8.0, 19.011
            case .bool(let value): value ? "true" : "false"
            case .json(let value): value.scalarText ?? value.serialized()
            }
        }

        /// The value as JSON.
        public var json: JSONValue {
            switch self {
            case .text(let text): .string(text)
            case .integer(let value): .integer(Int64(value))
            case .number(let value): .real(value)
            case .bool(let value): .bool(value)
            case .json(let value): value
            }
        }
    }
}
