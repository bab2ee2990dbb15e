/// A validated offer ID, safe to place in a URL path segment.
///
/// UUIDs are canonicalised to lower case; other shapes (admitted by `--id-pattern`) are kept
/// as written. Either way the text holds none of `/ ? # % \`, whitespace, control bytes or `..`.
public struct OfferID: Sendable, Hashable, CustomStringConvertible {
    public let text: String
    /// The 128 bits that identify this ID in a run's dedupe set.
    let key: DedupeKey

    public var description: String { text }
}

/// 16 bytes that stand for an ID in the dedupe set: a UUID's own bits, or a 128-bit hash
/// of any other ID's text.
struct DedupeKey: Hashable, Sendable {
    var high: UInt64
    var low: UInt64
}

/// Checks raw text against the ID rules of a run.
/// Not `Sendable` (Swift's `Regex` is not); it lives on the input source's reading thread.
public struct IDValidator {
    /// `nil`: IDs must be UUIDs. Otherwise a whole-match pattern for other ID shapes.
    private let pattern: Regex<AnyRegexOutput>?
    private let patternSource: String?

    /// - Parameter pattern: a regular expression every ID must match whole (`--id-pattern`);
    ///   `nil` for UUIDs. Throws if it does not compile.
    public init(pattern: String? = nil) throws {
        self.pattern = try pattern.map { try Regex($0) }
        self.patternSource = pattern
    }

    /// Why `raw` is not an acceptable ID, or the ID it stands for.
    public func validate(_ raw: String) -> Result<OfferID, InvalidID> {
        if raw.isEmpty { return .failure(.init("empty ID")) }
        if let unsafe = Self.pathHazard(in: raw) {
            return .failure(.init("contains \(unsafe), which could change the URL path"))
        }
        if let pattern {
            guard (try? pattern.wholeMatch(in: raw)) != nil else {
                return .failure(.init("does not match --id-pattern \(patternSource ?? "")"))
            }
            // A UUID is a UUID under any pattern: one case, one dedupe key.
            if let key = Self.uuidKey(raw) { return .success(OfferID(text: raw.lowercased(), key: key)) }
            return .success(OfferID(text: raw, key: Self.hashKey(raw)))
        }
        guard let key = Self.uuidKey(raw) else { return .failure(.init("not a UUID")) }
        return .success(OfferID(text: raw.lowercased(), key: key))
    }

    /// The first thing in `raw` that must never reach a URL path, described for a person.
    static func pathHazard(in raw: String) -> String? {
        if raw.contains("..") { return "'..'" }
        if raw == "." { return "a dot segment '.'" }
        for scalar in raw.unicodeScalars {
            switch scalar {
            case "/", "?", "#", "%", "\\": return "'\(scalar)'"
            case " ", "\t": return "whitespace"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F { return "a control character" }
                // Unicode's tables only for non-ASCII: every UUID stays on the fast path.
                if scalar.value >= 0x80 && (scalar.properties.isWhitespace || scalar.properties.generalCategory == .control) {
                    return "whitespace"
                }
            }
        }
        return nil
    }

    /// The 128 bits of a UUID in 8-4-4-4-12 hex form, any case; `nil` if it is not one.
    static func uuidKey(_ raw: String) -> DedupeKey? {
        var utf8 = raw.utf8.makeIterator()
        var high: UInt64 = 0, low: UInt64 = 0, digits = 0, index = 0
        while let byte = utf8.next() {
            defer { index += 1 }
            if index == 8 || index == 13 || index == 18 || index == 23 {
                guard byte == UInt8(ascii: "-") else { return nil }
                continue
            }
            let nibble: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            if digits < 16 { high = high << 4 | UInt64(nibble) } else { low = low << 4 | UInt64(nibble) }
            digits += 1
        }
        return index == 36 && digits == 32 ? DedupeKey(high: high, low: low) : nil
    }

    /// Two independent 64-bit FNV-1a hashes, mixed: collisions among a run's IDs are not a
    /// practical concern at 128 bits.
    static func hashKey(_ raw: String) -> DedupeKey {
        var a: UInt64 = 0xcbf2_9ce4_8422_2325, b: UInt64 = 0x8422_2325_cbf2_9ce4
        for byte in raw.utf8 {
            a = (a ^ UInt64(byte)) &* 0x100_0000_01b3
            b = (b ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 &+ 0x9e37_79b9_7f4a_7c15
        }
        return DedupeKey(high: mix(a), low: mix(b ^ 0x5555_5555_5555_5555))
    }

    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// Why an input item is not a usable ID; becomes the `invalid_id` record's errorMessage.
public struct InvalidID: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}
