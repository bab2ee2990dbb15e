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

    /// A field's name, how to take its value from a record, and how to put a logged value
    /// back (`--resume` and `report` read a log through the same table that wrote it).
    public struct Field: Sendable {
        public let name: String
        /// The field's value in `record`, `nil` when absent.
        public let value: @Sendable (_ record: CancelRecord) -> FieldValue?
        /// Sets the field in `record` from a logged line's member; returns `false`, leaving
        /// `record` alone, when the member is `null` or not of the field's type.
        let read: @Sendable (_ record: inout CancelRecord, _ json: JSONValue) -> Bool
    }

    /// Every field, in contract order: the one list NDJSON, CSV, ``field(_:)`` and
    /// ``Logged`` all read. A new field is a property and a line here (at most 64).
    public static let fields: [Field] = [
        .integer("seq", { $0.seq }, { $0.seq = $1 }),
        .text("source", { $0.source }, { $0.source = $1 }),
        .integer("line", { $0.line }, { $0.line = $1 }),
        .text("offerId", { $0.offerId }, { $0.offerId = $1 }),
        .field("outcome", value: { .text($0.outcome.rawValue) }, decode: { $0.string.flatMap(Outcome.init(rawValue:)) }, set: { $0.outcome = $1 }),
        .integer("httpStatus", { $0.httpStatus }, { $0.httpStatus = $1 }),
        .integer("attempts", { $0.attempts }, { $0.attempts = max(0, $1) }),
        .milliseconds("latencyMs", { $0.latencyMs }, { $0.latencyMs = $1 }),
        .milliseconds("waitMs", { $0.waitMs }, { $0.waitMs = $1 }),
        .timestamp("startedAt", { $0.startedAt }, { $0.startedAt = $1 }),
        .timestamp("finishedAt", { $0.finishedAt }, { $0.finishedAt = $1 }),
        .text("offerStatus", { $0.offerStatus }, { $0.offerStatus = $1 }),
        .text("offerType", { $0.offerType }, { $0.offerType = $1 }),
        .field("price", value: { $0.price.map(FieldValue.json) }, decode: { $0.kind == .null ? nil : $0 }, set: { $0.price = $1 }),
        .text("sellerAddress", { $0.sellerAddress }, { $0.sellerAddress = $1 }),
        .text("nftId", { $0.nftId }, { $0.nftId = $1 }),
        .text("nftName", { $0.nftName }, { $0.nftName = $1 }),
        .text("nftAddress", { $0.nftAddress }, { $0.nftAddress = $1 }),
        .text("chain", { $0.chain }, { $0.chain = $1 }),
        .text("contractName", { $0.contractName }, { $0.contractName = $1 }),
        .text("errorCode", { $0.errorCode }, { $0.errorCode = $1 }),
        .text("errorMessage", { $0.errorMessage }, { $0.errorMessage = $1 }),
        .text("traceCode", { $0.traceCode }, { $0.traceCode = $1 }),
        .field("confirmed", value: { $0.confirmed.map(FieldValue.bool) }, decode: { $0.bool }, set: { $0.confirmed = $1 }),
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
