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
    /// From the first request to the last reply, including waits between retries.
    public var latencyMs: Double?
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
    /// The reply's whole `offer` object, for sinks that embed it (`--include-offer`).
    public var offer: JSONValue?

    public init(seq: Int, source: String, line: Int, offerId: String, outcome: Outcome) {
        self.seq = seq
        self.source = source
        self.line = line
        self.offerId = offerId
        self.outcome = outcome
    }

    /// Every field, in contract order.
    public static let fieldNames = [
        "seq", "source", "line", "offerId", "outcome", "httpStatus", "attempts", "latencyMs", "startedAt", "finishedAt",
        "offerStatus", "offerType", "price", "sellerAddress", "nftId", "nftName", "nftAddress", "chain", "contractName",
        "errorCode", "errorMessage", "traceCode", "confirmed",
    ]

    /// A field's value by contract name, as a typed scalar; `nil` when absent.
    public func field(_ name: String) -> FieldValue? {
        switch name {
        case "seq": .integer(seq)
        case "source": .text(source)
        case "line": .integer(line)
        case "offerId": .text(offerId)
        case "outcome": .text(outcome.rawValue)
        case "httpStatus": httpStatus.map(FieldValue.integer)
        case "attempts": .integer(attempts)
        case "latencyMs": latencyMs.map { .number(Self.roundedMs($0)) }
        case "startedAt": startedAt.map { .text($0.rfc3339) }
        case "finishedAt": finishedAt.map { .text($0.rfc3339) }
        case "offerStatus": offerStatus.map(FieldValue.text)
        case "offerType": offerType.map(FieldValue.text)
        case "price": price.map(FieldValue.json)
        case "sellerAddress": sellerAddress.map(FieldValue.text)
        case "nftId": nftId.map(FieldValue.text)
        case "nftName": nftName.map(FieldValue.text)
        case "nftAddress": nftAddress.map(FieldValue.text)
        case "chain": chain.map(FieldValue.text)
        case "contractName": contractName.map(FieldValue.text)
        case "errorCode": errorCode.map(FieldValue.text)
        case "errorMessage": errorMessage.map(FieldValue.text)
        case "traceCode": traceCode.map(FieldValue.text)
        case "confirmed": confirmed.map(FieldValue.bool)
        default: nil
        }
    }

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
