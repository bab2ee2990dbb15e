import CJansson

/// An immutable JSON value held by jansson.
///
/// Each `JSONValue` owns exactly one jansson reference and releases it in `deinit`.
/// Accessors that return a child (`self["key"]`, `self[index]`) take a reference of their
/// own, so a child stays valid however long it is kept. No `json_t *` leaves this module.
///
/// Values are never mutated after they are built: build objects and arrays whole with
/// ``object(_:)`` and ``array(_:)``.
public final class JSONValue {
    /// Owned reference (count taken at init, dropped in deinit).
    let pointer: OpaquePointer

    /// Takes over a reference the caller already owns (a `*_new` result or a `json_loadb` result).
    init(unsafeTakingOwnership pointer: OpaquePointer) {
        self.pointer = pointer
    }

    /// Takes a new reference to a value owned elsewhere (a borrowed child).
    convenience init(unsafeRetaining pointer: OpaquePointer) {
        self.init(unsafeTakingOwnership: OpaquePointer(cjansson_incref(UnsafeMutablePointer(pointer)))!)
    }

    deinit {
        cjansson_decref(UnsafeMutablePointer(pointer))
    }

    var raw: UnsafeMutablePointer<json_t> { UnsafeMutablePointer(pointer) }
}

// Immutable after construction, so sharing across tasks is sound: jansson's reference
// count is atomic (CJansson/shim.h refuses to build against a jansson without atomic
// reference counts), and every read (get, size, dump) leaves the value unchanged.
extension JSONValue: @unchecked Sendable {}

// MARK: - Kind and scalars

extension JSONValue {
    /// The JSON type of a value. Integers and reals are distinct, as in jansson.
    public enum Kind: Sendable, Equatable {
        case object, array, string, integer, real, bool, null
    }

    public var kind: Kind {
        switch cjansson_typeof(raw) {
        case JSON_OBJECT: .object
        case JSON_ARRAY: .array
        case JSON_STRING: .string
        case JSON_INTEGER: .integer
        case JSON_REAL: .real
        case JSON_TRUE, JSON_FALSE: .bool
        default: .null
        }
    }

    /// The text of a string value (which may hold NUL only if parsed with NUL allowed); `nil` otherwise.
    public var string: String? {
        guard kind == .string, let chars = json_string_value(raw) else { return nil }
        let count = json_string_length(raw)
        return chars.withMemoryRebound(to: UInt8.self, capacity: count) {
            String(decoding: UnsafeBufferPointer(start: $0, count: count), as: UTF8.self)
        }
    }

    /// Calls `body` with a string value's UTF-8 bytes, without copying them; `nil` for other kinds.
    public func withUTF8<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        guard kind == .string, let chars = json_string_value(raw) else { return nil }
        return try body(UnsafeRawBufferPointer(start: chars, count: json_string_length(raw)))
    }

    /// An integer value; `nil` for other kinds (reals are not truncated).
    public var integer: Int64? { kind == .integer ? Int64(json_integer_value(raw)) : nil }

    /// A number as a double: reals as they are, integers converted; `nil` for other kinds.
    public var number: Double? {
        switch kind {
        case .real: json_real_value(raw)
        case .integer: Double(json_integer_value(raw))
        default: nil
        }
    }

    public var bool: Bool? {
        switch cjansson_typeof(raw) {
        case JSON_TRUE: true
        case JSON_FALSE: false
        default: nil
        }
    }

    public var isNull: Bool { kind == .null }

    /// A scalar's text as a person would write it: strings unquoted, numbers and booleans
    /// in JSON spelling; `nil` for null, objects and arrays.
    public var scalarText: String? {
        switch kind {
        case .string: string
        case .integer: String(json_integer_value(raw))
        case .real: serialized()
        case .bool: bool! ? "true" : "false"
        default: nil
        }
    }
}

// MARK: - Containers

extension JSONValue {
    /// Members in an object, elements in an array, 0 otherwise.
    public var count: Int {
        switch kind {
        case .object: json_object_size(raw)
        case .array: json_array_size(raw)
        default: 0
        }
    }

    /// The member named `key` of an object; `nil` if absent or if this is not an object.
    public subscript(key: String) -> JSONValue? {
        guard let child = json_object_get(raw, key) else { return nil }
        return JSONValue(unsafeRetaining: OpaquePointer(child))
    }

    /// The element at `index` of an array; `nil` if out of range or not an array.
    public subscript(index: Int) -> JSONValue? {
        guard index >= 0, let child = json_array_get(raw, index) else { return nil }
        return JSONValue(unsafeRetaining: OpaquePointer(child))
    }

    /// Follows a dotted path of member names (`"nft.contract.name"`); `nil` where a step is missing.
    public func value(atPath path: some StringProtocol) -> JSONValue? {
        var current = self
        for key in path.split(separator: ".", omittingEmptySubsequences: false) {
            guard let next = current[String(key)] else { return nil }
            current = next
        }
        return current
    }

    /// The members of an object in jansson's order (insertion order), or `[]`.
    public var members: [(key: String, value: JSONValue)] {
        var result: [(key: String, value: JSONValue)] = []
        var iterator = cjansson_object_iter(raw)
        while let current = iterator {
            let key = String(
                decoding: UnsafeRawBufferPointer(start: cjansson_object_iter_key(current), count: cjansson_object_iter_key_len(current)),
                as: UTF8.self
            )
            result.append((key, JSONValue(unsafeRetaining: OpaquePointer(cjansson_object_iter_value(current)))))
            iterator = cjansson_object_iter_next(raw, current)
        }
        return result
    }

    /// The elements of an array, or `[]`.
    public var elements: [JSONValue] {
        guard kind == .array else { return [] }
        return (0..<json_array_size(raw)).map { JSONValue(unsafeRetaining: OpaquePointer(json_array_get(raw, $0))) }
    }
}

// MARK: - Building

extension JSONValue {
    public static func string(_ text: String) -> JSONValue {
        // The explicit length keeps an embedded NUL; Swift strings are valid UTF-8 already.
        let pointer = text.withCString { json_stringn_nocheck($0, text.utf8.count) }
        return JSONValue(unsafeTakingOwnership: OpaquePointer(pointer!))
    }

    public static func integer(_ value: Int64) -> JSONValue {
        JSONValue(unsafeTakingOwnership: OpaquePointer(json_integer(json_int_t(value)))!)
    }

    public static func real(_ value: Double) -> JSONValue {
        // jansson refuses NaN and infinities; JSON has no spelling for them.
        guard value.isFinite else { return .null }
        return JSONValue(unsafeTakingOwnership: OpaquePointer(json_real(value))!)
    }

    public static func bool(_ value: Bool) -> JSONValue {
        JSONValue(unsafeTakingOwnership: OpaquePointer(cjansson_boolean(value ? 1 : 0))!)
    }

    public static var null: JSONValue {
        JSONValue(unsafeTakingOwnership: OpaquePointer(json_null())!)
    }

    /// An object with `members` in the given order; a repeated key keeps its last value.
    public static func object(_ members: some Sequence<(String, JSONValue)>) -> JSONValue {
        let object = json_object()!
        for (key, value) in members {
            _ = key.withCString { cjansson_object_setn_new(object, $0, key.utf8.count, cjansson_incref(value.raw)) }
        }
        return JSONValue(unsafeTakingOwnership: OpaquePointer(object))
    }

    /// An array of `elements` in order.
    public static func array(_ elements: some Sequence<JSONValue>) -> JSONValue {
        let array = json_array()!
        for element in elements {
            _ = cjansson_array_append_new(array, cjansson_incref(element.raw))
        }
        return JSONValue(unsafeTakingOwnership: OpaquePointer(array))
    }
}

// MARK: - Parsing and writing

extension JSONValue {
    /// Any value may stand at top level (`"x"`, `1`), not only objects and arrays.
    static let parseFlags = size_t(JSON_DECODE_ANY)

    /// Parses exactly one JSON value (surrounding whitespace allowed) from `bytes`.
    /// A NUL inside a string is rejected.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(JSONError) -> JSONValue {
        var error = json_error_t()
        let parsed = bytes.withMemoryRebound(to: CChar.self) { chars in
            chars.baseAddress.map { json_loadb($0, chars.count, Self.parseFlags, &error) } ?? json_loadb("", 0, Self.parseFlags, &error)
        }
        guard let parsed else { throw JSONError(error) }
        return JSONValue(unsafeTakingOwnership: OpaquePointer(parsed))
    }

    public static func parse(_ text: String) throws(JSONError) -> JSONValue {
        try parse(Array(text.utf8))
    }

    public static func parse(_ bytes: [UInt8]) throws(JSONError) -> JSONValue {
        try bytes.withUnsafeBytes { raw in Result { () throws(JSONError) in try parse(raw) } }.get()
    }

    /// Compact JSON text, UTF-8 (non-ASCII is not escaped), keys in insertion order.
    public func serialized() -> String {
        var buffer = JSONWriteBuffer()
        buffer.append(self)
        return String(decoding: buffer.bytes, as: UTF8.self)
    }
}

extension JSONValue: Equatable {
    /// Deep equality as jansson defines it (integers and reals never compare equal).
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        json_equal(lhs.raw, rhs.raw) != 0
    }
}

extension JSONValue: CustomStringConvertible {
    public var description: String { serialized() }
}
