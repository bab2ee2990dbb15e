#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import JSONStream
import OfferCancelKit

/// The fields of one logged record that a report reads; the rest of the line is ignored.
public struct LoggedRecord: Sendable {
    public var seq: Int?
    public var source: String?
    public var offerId: String
    public var outcome: Outcome
    public var httpStatus: Int?
    public var attempts: Int
    public var latencyMs: Double?
    public var waitMs: Double?
    public var startedAt: Timestamp?
    public var finishedAt: Timestamp?
    public var errorCode: String?
    public var errorMessage: String?
    public var confirmed: Bool?

    public init(offerId: String, outcome: Outcome, seq: Int? = nil, source: String? = nil) {
        self.offerId = offerId
        self.outcome = outcome
        self.seq = seq
        self.source = source
        attempts = 0
    }

    /// The record a log line holds; `nil` when the line is not a record (no `offerId` string
    /// or no known `outcome`).
    public init?(_ json: JSONValue) {
        guard let offerId = json["offerId"]?.string, let text = json["outcome"]?.string, let outcome = Outcome(rawValue: text) else { return nil }
        self.init(offerId: offerId, outcome: outcome, seq: json["seq"]?.integer.map { Int($0) }, source: json["source"]?.string)
        httpStatus = json["httpStatus"]?.integer.map { Int($0) }
        attempts = json["attempts"]?.integer.map { Int(clamping: max(0, $0)) } ?? 0
        latencyMs = json["latencyMs"]?.number
        waitMs = json["waitMs"]?.number
        startedAt = json["startedAt"]?.string.flatMap(Timestamp.init(rfc3339:))
        finishedAt = json["finishedAt"]?.string.flatMap(Timestamp.init(rfc3339:))
        errorCode = json["errorCode"]?.string
        errorMessage = json["errorMessage"]?.string
        confirmed = json["confirmed"]?.bool
    }

    /// Not settled: it failed, was skipped, or was not seen CLOSED in time — worth sending again.
    public var isUnsettled: Bool {
        outcome == .failed || outcome == .skipped || confirmed == false
    }
}

extension Timestamp {
    /// Reads `2026-11-25T08:30:00.123Z` (any number of fraction digits, or none; `Z` or a
    /// `±hh:mm` offset). `nil` for anything else.
    public init?(rfc3339 text: String) {
        let bytes = Array(text.utf8)
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[from..<from + count] {
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard bytes.count >= 20, bytes[4] == 0x2D, bytes[7] == 0x2D, bytes[10] == 0x54 || bytes[10] == 0x74, bytes[13] == 0x3A, bytes[16] == 0x3A,
              let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
              let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var index = 19
        var fraction: Int64 = 0
        if index < bytes.count, bytes[index] == 0x2E {
            index += 1
            var scale: Int64 = 100_000_000
            let start = index
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                fraction += Int64(bytes[index] - 0x30) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        var offset = 0
        switch bytes.count > index ? bytes[index] : 0 {
        case 0x5A, 0x7A: index += 1
        case 0x2B, 0x2D:
            guard bytes.count == index + 6, bytes[index + 3] == 0x3A, let hours = number(index + 1, 2), let minutes = number(index + 4, 2) else { return nil }
            offset = (hours * 60 + minutes) * 60 * (bytes[index] == 0x2D ? -1 : 1)
            index += 6
        default: return nil
        }
        guard index == bytes.count else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let seconds = Int64(timegm(&parts)) - Int64(offset)
        self.init(nanoseconds: seconds * 1_000_000_000 + fraction)
    }
}
