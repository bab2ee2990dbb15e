#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes all of `bytes` to `fd`, retrying short writes and EINTR: a record's line reaches the
/// kernel whole, so a crash leaves only complete lines behind. A failed write(2) throws a
/// ``JSONError`` of kind `.io` with the system's words.
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
