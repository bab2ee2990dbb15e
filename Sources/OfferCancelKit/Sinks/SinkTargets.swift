import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The files of one run — inputs, the `--resume` log, each sink's target — by identity
/// (device and inode, or the parent folder's for a file yet to be made), so that no sink
/// writes over an input, the log it resumes from, or another sink's file, however the paths
/// are spelled. Sinks claim their targets through ``SinkOutput``; the command claims the
/// inputs first.
public final class SinkTargets: Sendable {
    /// What a file is to the run.
    public enum Role: Sendable, Equatable {
        case input
        case resumeLog
        case sink(String)
    }

    private let claims = NIOLockedValueBox<[FileIdentity: Role]>([:])

    public init() {}

    /// Records that the run reads `path` (an input, or the log with `role` `.resumeLog`).
    /// `-` means stdin and is not a file to protect.
    public func claimRead(_ path: String, as role: Role) {
        guard path != "-", let identity = FileIdentity(existing: path) else { return }
        claims.withLockedValue { claims in if claims[identity] == nil { claims[identity] = role } }
    }

    /// Claims `path` (`-` for stdout) for the sink `sink`. Appending (`+PATH`) may share the
    /// `--resume` log; nothing else may share a file.
    /// - Throws: ``SinkSpecError`` naming both users of the file, or a missing folder.
    public func claimWrite(_ path: String, for sink: String, appending: Bool) throws(SinkSpecError) {
        let identity: FileIdentity
        if path == "-" {
            identity = FileIdentity(descriptor: STDOUT_FILENO) ?? FileIdentity(device: 0, inode: 0, name: "stdout")
        } else {
            identity = try FileIdentity(target: path, sink: sink)
        }
        let conflict = claims.withLockedValue { claims -> SinkSpecError? in
            switch claims[identity] {
            case nil: claims[identity] = .sink(sink)
            case .input?: return SinkSpecError("\(sink) would write over an input of this run; name another file")
            case .resumeLog? where appending: claims[identity] = .sink(sink)
            case .resumeLog?:
                return SinkSpecError("\(sink) would truncate the --resume log; append to it with +\(path), or name another file")
            case .sink(let other)?: return SinkSpecError("\(sink) and \(other) write to the same file; give each sink its own")
            }
            return nil
        }
        if let conflict { throw conflict }
    }
}

/// A file by identity: its device and inode, or — for a file not yet made — its folder's
/// device and inode and its name.
struct FileIdentity: Hashable {
    var device: UInt64
    var inode: UInt64
    var name: String?

    init(device: UInt64, inode: UInt64, name: String?) {
        (self.device, self.inode, self.name) = (device, inode, name)
    }

    init?(existing path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        self.init(device: UInt64(info.st_dev), inode: UInt64(info.st_ino), name: nil)
    }

    init?(descriptor: Int32) {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return nil }
        self.init(device: UInt64(info.st_dev), inode: UInt64(info.st_ino), name: nil)
    }

    /// The identity of a sink's target, existing or to be made in an existing folder.
    init(target path: String, sink: String) throws(SinkSpecError) {
        if let existing = FileIdentity(existing: path) {
            self = existing
            return
        }
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        guard !name.isEmpty, var identity = FileIdentity(existing: folder) else {
            throw SinkSpecError("\(sink): no such directory \(folder)")
        }
        identity.name = name
        self = identity
    }
}
