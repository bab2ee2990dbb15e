import Foundation

/// A tmpfs of a few KiB mounted for one test: a real full disk. Needs root (CI runs as root);
/// `init` returns `nil` where it cannot be mounted, and the test says so and is skipped.
public final class SmallFilesystem {
    public let path: String
    private let scratch: Scratch

    public init?(kilobytes: Int) {
        guard let scratch = try? Scratch() else { return nil }
        self.scratch = scratch
        path = scratch.path
        guard Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(kilobytes)k", "tmpfs", path]) else { return nil }
    }

    deinit { _ = Self.run("/bin/umount", [path]) }

    /// The path of `name` on the filesystem.
    public func file(_ name: String) -> String { path + "/" + name }

    private static func run(_ tool: String, _ arguments: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}
