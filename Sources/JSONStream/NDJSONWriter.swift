#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes one compact JSON value per line to a file descriptor, through one reused buffer.
///
/// Each ``write(_:)`` ends with the whole line handed to the kernel, so a crash leaves only
/// complete lines behind. Not thread-safe: one writer, one task.
public final class NDJSONWriter {
    private let fd: Int32
    private let closesOnDeinit: Bool
    private var buffer = JSONWriteBuffer()

    public init(fileDescriptor fd: Int32, closeOnDeinit: Bool = false) {
        self.fd = fd
        self.closesOnDeinit = closeOnDeinit
    }

    deinit {
        if closesOnDeinit { close(fd) }
    }

    /// Writes `value` and a newline.
    public func write(_ value: JSONValue) throws(JSONError) {
        buffer.removeAll()
        buffer.append(value)
        buffer.append(0x0A)
        try writeAll(buffer.bytes, to: fd)
    }
}

/// Writes all of `bytes` to `fd`, retrying short writes and EINTR.
public func writeAll(_ bytes: [UInt8], to fd: Int32) throws(JSONError) {
    var offset = 0
    while offset < bytes.count {
        let count = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
        if count < 0 {
            if errno == EINTR { continue }
            throw JSONError(kind: .io, text: "write failed: \(String(cString: strerror(errno)))")
        }
        offset += count
    }
}
