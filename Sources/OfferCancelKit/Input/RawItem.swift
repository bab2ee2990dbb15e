/// One data item as a decoder found it, before validation: the text that should be an ID
/// (or what stood in its place) and, where the item is already known to be unusable, why.
struct RawItem {
    var line: Int
    var raw: String
    var problem: InvalidID?

    static func invalid(line: Int, raw: String, _ reason: String) -> RawItem {
        RawItem(line: line, raw: raw, problem: InvalidID(reason))
    }
}

/// Turns one input's bytes into raw items, one per data item (never one per blank line or
/// comment). Blocking; used from one thread at a time.
protocol RawItemDecoder: AnyObject {
    /// The next item, or `nil` at the end of the input. Throws only when the input cannot
    /// be read further (an I/O error, a JSON document broken beyond recovery).
    func next() throws(InputError) -> RawItem?
}

/// A problem with the inputs themselves (not with one item): unreadable, a directory, a
/// CSV without the ID column. The command reports it and exits 2.
public struct InputError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension String {
    /// Text for a record from bytes that may not be UTF-8 or may be huge: invalid bytes
    /// become U+FFFD and anything past `limit` bytes is cut with "…".
    init(displaying bytes: some Collection<UInt8>, limit: Int = 200) {
        if bytes.count <= limit {
            self = String(decoding: bytes, as: UTF8.self)
        } else {
            self = String(decoding: bytes.prefix(limit), as: UTF8.self) + "…"
        }
    }
}

/// The UTF-8 byte order mark some editors and spreadsheets put at the start of a file.
enum UTF8BOM {
    static let bytes: [UInt8] = [0xEF, 0xBB, 0xBF]

    static func strip(_ bytes: [UInt8]) -> ArraySlice<UInt8> {
        bytes.starts(with: Self.bytes) ? bytes.dropFirst(3) : bytes[...]
    }
}
