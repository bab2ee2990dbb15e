import Dispatch
import Foundation
import JSONStream

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a sink writes: stdout (`-`), a file created or truncated (`PATH`), or a file
/// appended to (`+PATH`, created if missing). The API a sink — built-in or custom — opens its
/// target through, with the run's guarantees:
///
/// - **Nothing is touched before the run is valid.** `init` only checks the target and claims
///   it in ``SinkContext/targets`` (so it cannot be an input, the `--resume` log unless
///   appending, or another sink's file); the file is created or truncated by ``open()``,
///   which the sink calls from its own `open(_:)`.
/// - **No record log is emptied by accident.** A `PATH` (not `+PATH`) whose first line is a
///   record (an NDJSON object with an `offerId`, or a CSV header naming `offerId`) is refused
///   unless ``SinkContext/overwrite`` (`--overwrite`).
/// - **No blocked thread of the pool.** A pipe, FIFO or terminal can make `write(2)` wait for as
///   long as its reader likes; such targets are written on a thread of the output's own, so a
///   slow consumer slows the run (back-pressure) without holding one of Swift's few cooperative
///   threads. Regular files are written in place.
/// - **Whole lines.** Every ``write(_:)`` hands all its bytes to the kernel before it
///   returns; when a write to a file fails half-way (a full disk), the file is cut back to
///   where the write began, so a later reader never sees half a record. Only a `kill -9`
///   can tear the line being written (Linux stops a write at a page boundary once a fatal
///   signal is pending); appending to a file whose last line is torn first ends that line.
/// - ``replaceWhole(with:)`` writes a whole-file output (a summary, a report) through a
///   temporary sibling and a rename, so readers see the old file or the new one.
public final class SinkOutput {
    /// The file's path, or `stdout`.
    public let name: String
    private let path: String?
    private let appending: Bool
    private let scheme: String
    private var fd: Int32 = -1
    /// Bytes in the file once everything written so far is there (regular files only).
    private var size: off_t = 0
    private var isRegularFile = false
    /// Where writes to a target that can block (not a regular file) are made.
    private var writer: DispatchQueue?
    /// True when appending (`+PATH`) to a file that already held data: a sink with a header
    /// row should not write it again. Known after ``open()``.
    public private(set) var continuesExistingFile = false

    /// Checks and claims `target` (`nil` or `-` for stdout, `PATH`, `+PATH`) for the sink
    /// `scheme` in `context`'s targets. Touches no file.
    /// - Throws: ``SinkSpecError`` for an empty path, a missing folder, or a file the run
    ///   already uses otherwise.
    public init(target: String?, scheme: String, context: SinkContext) throws(SinkSpecError) {
        let target = target ?? "-"
        self.scheme = scheme
        if target == "-" {
            name = "stdout"
            path = nil
            appending = false
            try context.targets.claimWrite("-", for: "\(scheme):-", appending: false)
            return
        }
        appending = target.hasPrefix("+")
        let path = appending ? String(target.dropFirst()) : target
        guard !path.isEmpty else { throw SinkSpecError("\(scheme): empty path") }
        try context.targets.claimWrite(path, for: "\(scheme):\(target)", appending: appending)
        if !appending, !context.overwrite, Self.holdsRecords(path: path) {
            throw SinkSpecError("\(scheme):\(path): the file already holds records of an earlier run and would be emptied: "
                + "add to it with --sink \(scheme):+\(path), or replace it with --overwrite")
        }
        self.path = path
        name = path
    }

    deinit {
        if path != nil, fd >= 0 { close(fd) }
    }

    /// A pipe, FIFO or terminal: writes go through a queue of their own, and a reader that has
    /// gone is an error to report, not the process's death.
    private func startWriter(label: String) {
        ignoreBrokenPipes()
        writer = DispatchQueue(label: label)
    }

    /// Opens the target: stdout as it is, a file created, truncated or appended to. Call it
    /// from the sink's `open(_:)`; ``write(_:)`` calls it if the sink did not.
    public func open() throws(SinkSpecError) {
        guard fd < 0 else { return }
        guard let path else {
            fd = STDOUT_FILENO
            var info = stat()
            isRegularFile = fstat(fd, &info) == 0 && info.st_mode & S_IFMT == S_IFREG
            if isRegularFile { size = info.st_size } else { startWriter(label: "offer-cancel.sink.stdout") }
            return
        }
        let tornTail = appending && Self.lastByte(of: path).map { $0 != 0x0A } == true
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (appending ? O_APPEND : O_TRUNC)
        let opened = openFile(path, flags, 0o644)
        guard opened >= 0 else { throw SinkSpecError("\(scheme):\(appending ? "+" : "")\(path): \(String(cString: strerror(errno)))") }
        fd = opened
        var info = stat()
        if fstat(opened, &info) == 0 {
            isRegularFile = info.st_mode & S_IFMT == S_IFREG
            size = isRegularFile ? info.st_size : 0
            continuesExistingFile = appending && info.st_size > 0
        }
        if !isRegularFile { startWriter(label: "offer-cancel.sink.\(scheme)") }
        if tornTail {
            do { try writeInPlace([0x0A]) } catch { throw SinkSpecError("\(scheme):+\(path): cannot end its torn last line: \(error)") }
        }
    }

    /// Writes all of `bytes`, or — for a file — nothing: a failed write is cut back off.
    /// - Throws: ``SinkWriteError`` with the system's reason.
    public func write(_ bytes: [UInt8]) async throws(SinkWriteError) {
        if fd < 0 {
            do { try open() } catch { throw SinkWriteError(error.message) }
        }
        guard let writer else { return try writeInPlace(bytes) }
        let fd = fd
        let result: Result<Void, JSONError> = await withCheckedContinuation { continuation in
            writer.async { continuation.resume(returning: Result { () throws(JSONError) in try writeAll(bytes, to: fd) }) }
        }
        if case .failure(let error) = result { throw SinkWriteError("\(name): \(error.text)") }
    }

    /// `write(2)` on this thread: for regular files, which never wait on a reader.
    private func writeInPlace(_ bytes: [UInt8]) throws(SinkWriteError) {
        do {
            try writeAll(bytes, to: fd)
            size += off_t(bytes.count)
        } catch {
            if isRegularFile { _ = ftruncate(fd, size) }
            throw SinkWriteError("\(name): \(error.text)")
        }
    }

    /// Replaces the target's whole content with `bytes` (stdout: writes them), through a
    /// temporary file beside it and a rename.
    public func replaceWhole(with bytes: [UInt8]) async throws(SinkWriteError) {
        guard let path else { return try await write(bytes) }
        let temporary = path + ".tmp-\(getpid())"
        let fd = openFile(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SinkWriteError("cannot create \(temporary): \(String(cString: strerror(errno)))") }
        do {
            try writeAll(bytes, to: fd)
        } catch {
            close(fd)
            unlink(temporary)
            throw SinkWriteError("cannot write \(temporary): \(error.text)")
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw SinkWriteError("cannot rename \(temporary) to \(path): \(reason)")
        }
    }

    /// The first line (without its line end) of the file a `+PATH` target continues; `nil`
    /// for other targets and for a missing or empty file. Reads at most `limit` bytes and
    /// touches nothing, so a sink that writes a header can refuse, before the run starts, a
    /// file whose header is not its own.
    public func existingFirstLine(limit: Int = 65_536) -> [UInt8]? {
        guard appending, let path else { return nil }
        return Self.firstLine(of: path, limit: limit)
    }

    /// Whether the regular file at `path` holds records of this tool's (its first line is an
    /// NDJSON record or a CSV header with an `offerId` column): a file no output may empty
    /// unasked.
    public static func holdsRecords(path: String) -> Bool {
        firstLine(of: path).map(isRecordLine) ?? false
    }

    /// Whether `line` is a record of this tool's: an NDJSON object with an `offerId` key, or a
    /// CSV header with an `offerId` column.
    static func isRecordLine(_ line: [UInt8]) -> Bool {
        if line.first == UInt8(ascii: "{") {
            return (try? JSONValue.parse(String(decoding: line, as: UTF8.self)))?["offerId"] != nil
        }
        return String(decoding: line, as: UTF8.self).split(separator: ",").contains { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\" ")) == "offerId" }
    }

    /// The first line (without its line end) of the regular file at `path`, at most `limit`
    /// bytes; `nil` when it is missing, empty or not a regular file.
    private static func firstLine(of path: String, limit: Int = 65_536) -> [UInt8]? {
        let fd = openFile(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        var bytes = [UInt8](repeating: 0, count: limit)
        let count = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, limit, 0) }
        guard count > 0 else { return nil }
        var line = bytes[..<count].prefix { $0 != 0x0A }
        if line.last == 0x0D { line = line.dropLast() }
        return Array(line)
    }

    /// The last byte of the file at `path`; `nil` when it is empty, missing or unreadable.
    private static func lastByte(of path: String) -> UInt8? {
        let fd = openFile(path, O_RDONLY | O_CLOEXEC, 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size > 0 else { return nil }
        var byte: UInt8 = 0
        return pread(fd, &byte, 1, info.st_size - 1) == 1 ? byte : nil
    }
}

/// A sink could not write (a full disk, a closed pipe, a command that exited).
public struct SinkWriteError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// `open(2)`, reachable by that name from inside ``SinkOutput`` (whose own `open()` hides it).
private func openFile(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 {
    open(path, flags, mode)
}

/// Makes a write to a pipe nobody reads fail with `EPIPE` instead of killing the process with
/// SIGPIPE — for the whole process, as the command line does when it starts. Sinks that write
/// to pipes (``SinkOutput`` on a pipe, FIFO or terminal; the `exec:` sink) call it when they
/// open, so a program that embeds them survives a consumer that exits.
public func ignoreBrokenPipes() {
    signal(SIGPIPE, SIG_IGN)
}
