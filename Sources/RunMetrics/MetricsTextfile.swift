import Foundation

/// `--metrics-textfile PATH`: the exposition, rewritten whole for node_exporter's textfile
/// collector. Each write goes to a temporary file beside PATH and is renamed over it, so a
/// reader sees the last whole exposition or the one before, never part of one.
public struct MetricsTextfile: Sendable {
    public let path: String

    /// Checks that `path` may be written: its folder exists, and the file, if there is one, is
    /// empty or an exposition (its first line a `#` comment) — a record log or any other file
    /// is never replaced. Touches nothing.
    public init(path: String) throws(MetricsError) {
        let folder = (path as NSString).deletingLastPathComponent
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.isEmpty ? "." : folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw MetricsError("--metrics-textfile \(path): no such folder")
        }
        if let handle = FileHandle(forReadingAtPath: path) {
            defer { try? handle.close() }
            let start = (try? handle.read(upToCount: 2)) ?? Data()
            guard start.isEmpty || start.first == UInt8(ascii: "#") else {
                throw MetricsError("--metrics-textfile \(path): the file exists and is not a metrics file; name another")
            }
        }
        self.path = path
    }

    /// Replaces the file with `exposition`.
    public func write(_ exposition: [UInt8]) throws {
        let temporary = path + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
        try Data(exposition).write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw MetricsError("--metrics-textfile \(path): \(reason)")
        }
    }
}

/// A metrics option that cannot be honoured: one line for the user.
public struct MetricsError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
