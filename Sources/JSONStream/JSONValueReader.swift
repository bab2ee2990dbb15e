import CJansson

/// Reads JSON values one at a time from a ``ByteInput``: concatenated values
/// (`{…}{…}`, `1 2 3`, NDJSON), or the elements of one big array without holding the
/// array whole (see ``JSONElementReader``).
///
/// Only one value at a time is buffered; a value larger than `maxValueBytes` is an error.
/// After a syntax error, ``skipLine()`` moves past the bad text so reading can go on.
public final class JSONValueReader {
    public let input: ByteInput
    public let maxValueBytes: Int

    public init(input: ByteInput, maxValueBytes: Int = 16 * 1024 * 1024) {
        self.input = input
        self.maxValueBytes = maxValueBytes
    }

    /// Skips whitespace and returns the next byte without consuming it; `nil` at end of input.
    public func peekSignificantByte() throws(JSONError) -> UInt8? {
        while true {
            var skipped = 0
            while let byte = input.peek(at: skipped), NDJSONReader.isWhitespace(byte) { skipped += 1 }
            input.consume(skipped)
            if let byte = input.peek() { return byte }
            if try !input.fill() { return nil }
        }
    }

    /// Consumes `byte` if it is next (after whitespace); returns whether it was.
    public func consume(_ byte: UInt8) throws(JSONError) -> Bool {
        guard try peekSignificantByte() == byte else { return false }
        input.consume(1)
        return true
    }

    /// The next value, or `nil` when only whitespace remains.
    public func next() throws(JSONError) -> JSONValue? {
        guard try peekSignificantByte() != nil else { return nil }
        while true {
            var error = json_error_t()
            let parsed = input.withAvailableBytes { bytes in
                json_loadb(bytes.baseAddress!.assumingMemoryBound(to: CChar.self), bytes.count, size_t(JSON_DISABLE_EOF_CHECK) | JSONValue.parseFlags, &error)
            }
            let used = Int(error.position)
            // A value that ends exactly at the end of the window may continue in the next
            // chunk (`12` of `123`); accept it only once more input or EOF says it ended.
            let mayContinue = parsed != nil && used >= input.available && !input.isAtEOF
            // An error at the very end of the window (`tru` of `true`) may be cured by more
            // input too; a real syntax error stays where it is once more input has come.
            let truncated = parsed == nil && !input.isAtEOF
                && (json_error_code(&error) == json_error_premature_end_of_input || used + 8 >= input.available)
            if let parsed, !mayContinue {
                input.consume(used)
                return JSONValue(unsafeTakingOwnership: OpaquePointer(parsed))
            }
            if let parsed { cjansson_decref(parsed) }
            guard mayContinue || truncated else {
                throw JSONError(error, origin: input.position)
            }
            guard input.available <= maxValueBytes else {
                let where_ = input.position
                throw JSONError(kind: .valueTooLarge, text: "a JSON value is larger than \(maxValueBytes) bytes", line: where_.line, column: where_.column, position: where_.offset)
            }
            try input.fill()
        }
    }

    /// Discards input up to and including the next newline (recovery after an error).
    public func skipLine() throws(JSONError) {
        while true {
            var index = 0
            while let byte = input.peek(at: index) {
                if byte == 0x0A {
                    input.consume(index + 1)
                    return
                }
                index += 1
            }
            input.consume(index)
            if try !input.fill() { return }
        }
    }
}

/// Streams the elements of a JSON array without parsing the array whole: the top-level
/// array, or the array held by a named member of a top-level object (the API's list
/// envelope `{"success":true,"result":[…]}`).
///
/// Only one element is ever in memory. Members other than the array are parsed and
/// dropped; ``envelope`` keeps the scalar ones (such as `success`) for the caller.
public final class JSONElementReader {
    private let reader: JSONValueReader
    private let arrayKeys: Set<String>
    private var state = State.start
    /// Scalar members of an enclosing object seen before its array.
    public private(set) var envelope: [String: JSONValue] = [:]
    /// Where the element last returned by ``next()`` began.
    public private(set) var elementPosition = TextPosition.start

    private enum State { case start, firstElement, nextElement, done }

    /// - Parameter arrayKeys: the member names that may hold the array in an object.
    public init(reader: JSONValueReader, arrayKeys: Set<String> = ["result"]) {
        self.reader = reader
        self.arrayKeys = arrayKeys
    }

    /// The next element, or `nil` after the array's `]`.
    public func next() throws(JSONError) -> JSONValue? {
        switch state {
        case .done:
            return nil
        case .start:
            try openArray()
            state = .firstElement
            return try next()
        case .firstElement:
            if try reader.consume(UInt8(ascii: "]")) {
                state = .done
                return nil
            }
        case .nextElement:
            if try reader.consume(UInt8(ascii: "]")) {
                state = .done
                return nil
            }
            guard try reader.consume(UInt8(ascii: ",")) else { throw unexpected("',' or ']' in the array") }
        }
        state = .nextElement
        _ = try reader.peekSignificantByte()
        elementPosition = reader.input.position
        guard let element = try reader.next() else { throw unexpected("an array element") }
        return element
    }

    private func openArray() throws(JSONError) {
        if try reader.consume(UInt8(ascii: "[")) { return }
        guard try reader.consume(UInt8(ascii: "{")) else {
            throw unexpected("a JSON array, or an object with a \(arrayKeys.sorted().joined(separator: "/")) array")
        }
        while true {
            guard let key = try reader.next()?.string else { throw unexpected("a member name") }
            guard try reader.consume(UInt8(ascii: ":")) else { throw unexpected("':'") }
            if arrayKeys.contains(key), try reader.peekSignificantByte() == UInt8(ascii: "[") {
                _ = try reader.consume(UInt8(ascii: "["))
                return
            }
            guard let value = try reader.next() else { throw unexpected("a value") }
            if value.kind != .object && value.kind != .array { envelope[key] = value }
            guard try reader.consume(UInt8(ascii: ",")) else {
                throw unexpected("a \(arrayKeys.sorted().joined(separator: "/")) array in the object")
            }
        }
    }

    private func unexpected(_ expected: String) -> JSONError {
        let here = reader.input.position
        let found = reader.input.peek().map { "'\(Unicode.Scalar($0))'" } ?? "end of input"
        return JSONError(kind: reader.input.peek() == nil ? .truncated : .syntax, text: "expected \(expected), found \(found)", line: here.line, column: here.column, position: here.offset)
    }
}
