#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One line of input, without its `\n` or `\r\n`.
public struct InputLine: Sendable {
    /// What a line held: its bytes, or only its length when it was longer than allowed
    /// (such a line is skipped through without ever being buffered whole).
    public enum Content: Sendable {
        case bytes([UInt8])
        case tooLong(length: Int)
    }

    /// 1-based line number in its input.
    public var number: Int
    public var content: Content
}

/// Splits a ``ByteInput`` into lines, holding at most `maxLength` bytes of any line.
public final class LineReader {
    public let input: ByteInput
    public let maxLength: Int
    private var lineNumber = 0

    public init(input: ByteInput, maxLength: Int = 64 * 1024) {
        self.input = input
        self.maxLength = maxLength
    }

    /// The next line, or `nil` at end of input. A last line without `\n` is still a line.
    public func next() throws(JSONError) -> InputLine? {
        var scanned = 0
        while true {
            if let newline = findNewline(from: scanned) {
                lineNumber += 1
                let length = newline > 0 && input.peek(at: newline - 1) == UInt8(ascii: "\r") ? newline - 1 : newline
                if length > maxLength {
                    input.consume(newline + 1)
                    return InputLine(number: lineNumber, content: .tooLong(length: length))
                }
                let line = input.withAvailableBytes { Array($0[0..<length]) }
                input.consume(newline + 1)
                return InputLine(number: lineNumber, content: .bytes(line))
            }
            scanned = input.available
            if scanned > maxLength {
                return try skipLongLine()
            }
            if try !input.fill() {
                guard input.available > 0 else { return nil }
                lineNumber += 1
                var length = input.available
                if input.peek(at: length - 1) == UInt8(ascii: "\r") { length -= 1 }
                if length > maxLength {
                    input.consume(input.available)
                    return InputLine(number: lineNumber, content: .tooLong(length: length))
                }
                let line = input.withAvailableBytes { Array($0[0..<length]) }
                input.consume(input.available)
                return InputLine(number: lineNumber, content: .bytes(line))
            }
        }
    }

    private func findNewline(from offset: Int) -> Int? {
        input.withAvailableBytes { bytes in
            guard offset < bytes.count, let found = memchr(bytes.baseAddress! + offset, 0x0A, bytes.count - offset) else { return nil }
            return UnsafeRawPointer(found) - bytes.baseAddress!
        }
    }

    private func skipLongLine() throws(JSONError) -> InputLine {
        lineNumber += 1
        var length = 0
        while true {
            if let newline = findNewline(from: 0) {
                input.consume(newline + 1)
                return InputLine(number: lineNumber, content: .tooLong(length: length + newline))
            }
            length += input.available
            input.consume(input.available)
            if try !input.fill() {
                return InputLine(number: lineNumber, content: .tooLong(length: length))
            }
        }
    }
}
