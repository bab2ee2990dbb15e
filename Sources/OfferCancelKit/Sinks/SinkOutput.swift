import JSONStream

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a streaming sink writes: stdout (`-`), a file created or truncated (`PATH`), or a
/// file appended to (`+PATH`, created if missing). Every ``write(_:)`` hands all its bytes to the kernel before it
/// returns, so a crash leaves only whole lines behind.
public final class SinkOutput {
    public let name: String
    /// True when appending (`+PATH`) to a file that already held data: a sink with a header
    /// row should not write it again.
    public let continuesExistingFile: Bool
    private let fd: Int32
    private let ownsDescriptor: Bool

    /// Opens `target` (see the type's description). Throws ``SinkSpecError`` with the
    /// system's reason when the file cannot be opened.
    public init(target: String?, scheme: String) throws(SinkSpecError) {
        let target = target ?? "-"
        if target == "-" {
            name = "stdout"
            fd = STDOUT_FILENO
            ownsDescriptor = false
            continuesExistingFile = false
            return
        }
        let append = target.hasPrefix("+")
        let path = append ? String(target.dropFirst()) : target
        guard !path.isEmpty else { throw SinkSpecError("\(scheme): empty path") }
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC)
        let opened = open(path, flags, 0o644)
        guard opened >= 0 else { throw SinkSpecError("\(scheme):\(target): \(String(cString: strerror(errno)))") }
        name = path
        fd = opened
        ownsDescriptor = true
        var info = stat()
        continuesExistingFile = append && fstat(opened, &info) == 0 && info.st_size > 0
    }

    deinit {
        if ownsDescriptor { close(fd) }
    }

    public func write(_ bytes: [UInt8]) throws(JSONError) {
        try writeAll(bytes, to: fd)
    }
}
