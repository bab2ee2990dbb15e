import Foundation

/// Writes to stdout with write(2), all of it: a full disk or a closed pipe is an error to
/// report (Foundation's FileHandle would trap).
enum StandardOutput {
    /// Why stdout took no more.
    struct WriteError: Error, CustomStringConvertible {
        var description: String
        var isBrokenPipe = false
    }

    static func write(_ bytes: [UInt8]) throws(WriteError) {
        var rest = bytes[...]
        while !rest.isEmpty {
            let written = rest.withUnsafeBytes { Foundation.write(STDOUT_FILENO, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw WriteError(description: String(cString: strerror(errno)), isBrokenPipe: errno == EPIPE)
            }
            rest = rest.dropFirst(written)
        }
    }
}
