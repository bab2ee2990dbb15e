#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a file descriptor in chunks into a window that holds only what has not been
/// consumed yet, so memory stays bounded by the largest item a caller asks to see whole.
///
/// Blocking and single-owner: one reader at a time, from one task at a time.
/// ``highWaterMark`` reports the most bytes the window ever held, so tests can assert
/// the bound instead of timing anything.
public final class ByteInput {
    private let fd: Int32
    private let closesOnDeinit: Bool
    private let chunkSize: Int
    private var storage: [UInt8]
    /// Unconsumed bytes are `storage[start..<end]`.
    private var start = 0
    private var end = 0
    public private(set) var isAtEOF = false
    /// Where the first unconsumed byte lies in the whole input.
    public private(set) var position = TextPosition.start
    /// The largest number of bytes the window ever held.
    public private(set) var highWaterMark = 0
    /// When set, a descriptor that becomes readable to stop a ``fill()`` that waits for data
    /// (a pipe or terminal with nothing to read): the fill then throws `.io` "reading stopped".
    public var interruptDescriptor: Int32?

    /// Reads from `fd`; closes it on deinit when `closeOnDeinit` (files, not stdin).
    public init(fileDescriptor fd: Int32, closeOnDeinit: Bool, chunkSize: Int = 64 * 1024) {
        self.fd = fd
        self.closesOnDeinit = closeOnDeinit
        self.chunkSize = chunkSize
        self.storage = []
    }

    /// Opens `path` for reading; throws `.io` with the system's reason.
    public convenience init(path: String, chunkSize: Int = 64 * 1024) throws(JSONError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw JSONError(kind: .io, text: "\(path): \(String(cString: strerror(errno)))")
        }
        self.init(fileDescriptor: fd, closeOnDeinit: true, chunkSize: chunkSize)
    }

    deinit {
        if closesOnDeinit { close(fd) }
    }

    /// Whether the descriptor is a regular file (never waits for data), not a pipe or terminal.
    public var isRegularFile: Bool { regularFileSize != nil }

    /// The file's size in bytes when the descriptor is a regular file; `nil` for a pipe or terminal.
    public var regularFileSize: Int? {
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        return Int(info.st_size)
    }

    /// The number of unconsumed bytes in the window.
    public var available: Int { end - start }

    /// Calls `body` with the unconsumed bytes; they stay valid only inside `body`.
    public func withAvailableBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try storage.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[start..<end])) }
    }

    /// The unconsumed byte at `offset`, if it is in the window.
    public func peek(at offset: Int = 0) -> UInt8? {
        start + offset < end ? storage[start + offset] : nil
    }

    /// Reads one more chunk onto the end of the window. Returns false at end of input.
    @discardableResult
    public func fill() throws(JSONError) -> Bool {
        if isAtEOF { return false }
        if start > 0 && (start == end || start >= storage.count / 2) {
            // Slide the unconsumed tail to the front instead of growing.
            storage.withUnsafeMutableBytes { raw in
                _ = memmove(raw.baseAddress!, raw.baseAddress! + start, end - start)
            }
            end -= start
            start = 0
        }
        if storage.count - end < chunkSize {
            storage.append(contentsOf: repeatElement(0, count: end + chunkSize - storage.count))
        }
        while true {
            try waitUntilReadable()
            let count = storage.withUnsafeMutableBytes { read(fd, $0.baseAddress! + end, chunkSize) }
            if count > 0 {
                end += count
                highWaterMark = max(highWaterMark, end - start)
                return true
            }
            if count == 0 {
                isAtEOF = true
                return false
            }
            if errno == EINTR { continue }
            throw JSONError(kind: .io, text: "read failed: \(String(cString: strerror(errno)))", line: position.line, column: position.column, position: position.offset)
        }
    }

    /// Blocks until `fd` has data (or end of input), unless ``interruptDescriptor`` fires first.
    private func waitUntilReadable() throws(JSONError) {
        guard let interrupt = interruptDescriptor else { return }
        var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: interrupt, events: Int16(POLLIN), revents: 0)]
        while poll(&fds, 2, -1) < 0 {
            guard errno == EINTR else { return }  // let read(2) report the problem
        }
        if fds[1].revents != 0 {
            throw JSONError(kind: .io, text: "reading stopped", line: position.line, column: position.column, position: position.offset)
        }
    }

    /// Marks `count` bytes as consumed, advancing ``position``.
    public func consume(_ count: Int) {
        precondition(count <= available)
        storage.withUnsafeBytes { position.advance(over: UnsafeRawBufferPointer(rebasing: $0[start..<start + count])) }
        start += count
    }
}
