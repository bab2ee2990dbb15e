import Foundation
import OfferCancelKit

/// The simulated market `--mock` runs: the `arkane-mock` executable found beside
/// `offer-cancel` (or on `PATH`), started as a child on a free loopback port.
///
/// `offer-cancel` does not link the simulation: the shipped binary stays free of Hummingbird.
/// The child runs in a process group of its own, so a terminal's Ctrl-C reaches only
/// `offer-cancel`, which lets its requests in flight finish before it stops the market. It
/// holds a pipe to the child's standard input, and `arkane-mock --stop-at-end-of-input` stops
/// when that pipe closes — at ``stop()``, or when `offer-cancel` dies, however it dies.
final class MockMarketProcess {
    /// The token the child accepts (its static token; it never leaves loopback).
    static let token = "mock-token"

    let executable: String
    let pid: pid_t
    /// `http://127.0.0.1:PORT`, from the child's ready line.
    let baseURL: String
    private var input: Int32

    /// Starts `arkane-mock --demo` and waits for its ready line.
    init() throws {
        guard let executable = Self.locate() else {
            throw MockMarketProcessError(
                "--mock needs the arkane-mock executable beside offer-cancel or on PATH (swift build --product arkane-mock builds it)")
        }
        self.executable = executable
        var toChild: [Int32] = [0, 0]
        var fromChild: [Int32] = [0, 0]
        guard Self.makePipe(&toChild) else { throw MockMarketProcessError("--mock: cannot make a pipe: \(String(cString: strerror(errno)))") }
        guard Self.makePipe(&fromChild) else {
            close(toChild[0]); close(toChild[1])
            throw MockMarketProcessError("--mock: cannot make a pipe: \(String(cString: strerror(errno)))")
        }
        defer { close(toChild[0]); close(fromChild[1]) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], STDIN_FILENO)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], STDOUT_FILENO)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own process group; signals as a fresh process has them (a thread of Swift's
        // pool may have some blocked, and a child inherits the mask).
        var none = sigset_t()
        sigemptyset(&none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGPIPE, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let arguments = [executable, "--demo", "--port", "0", "--host", "127.0.0.1", "--token", Self.token, "--stop-at-end-of-input"]
        // The child's environment holds no secret of ours.
        let environment = ProcessInfo.processInfo.environment.filter { !Credentials.isSecretVariable($0.key) }.map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let status = Self.withCStrings(arguments) { argv in
            Self.withCStrings(environment) { envp in posix_spawn(&pid, executable, &actions, &attributes, argv, envp) }
        }
        guard status == 0 else {
            close(toChild[1]); close(fromChild[0])
            throw MockMarketProcessError("--mock: cannot start \(executable): \(String(cString: strerror(status)))")
        }
        self.pid = pid
        self.input = toChild[1]

        // The ready line: "listening on http://127.0.0.1:PORT".
        let line = Self.readLine(fromChild[0])
        close(fromChild[0])
        guard let line, let range = line.range(of: "listening on http://") else {
            close(toChild[1])
            self.input = -1
            Self.reap(pid, within: .seconds(2))
            throw MockMarketProcessError("--mock: \(executable) did not start (no ready line)")
        }
        baseURL = "http://" + line[range.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines)
    }

    deinit { stop() }

    /// Stops the market: closes its input, waits for it to finish the requests it holds (a
    /// few seconds at most), and kills it if it has not.
    func stop() {
        guard input >= 0 else { return }
        close(input)
        input = -1
        Self.reap(pid, within: .seconds(5))
    }

    /// Waits for `pid` to exit for up to `limit`, then kills it and waits.
    private static func reap(_ pid: pid_t, within limit: Duration) {
        let deadline = ContinuousClock.now + limit
        var status: Int32 = 0
        while ContinuousClock.now < deadline {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid || (result < 0 && errno != EINTR) { return }
            usleep(10_000)
        }
        kill(pid, SIGKILL)
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }

    /// A pipe whose ends close on exec (the child gets only the ends `dup2` gives it).
    private static func makePipe(_ ends: inout [Int32]) -> Bool {
        guard pipe(&ends) == 0 else { return false }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        return true
    }

    /// One line from `descriptor`, or `nil` at end of input first.
    private static func readLine(_ descriptor: Int32) -> String? {
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while bytes.count < 4096 {
            let count = read(descriptor, &byte, 1)
            if count < 0 && errno == EINTR { continue }
            guard count == 1 else { return nil }
            if byte == 0x0A { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(byte)
        }
        return nil
    }

    /// `arkane-mock` in the folder of the running executable, else the first on `PATH`.
    static func locate() -> String? {
        let name = "arkane-mock"
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            let beside = URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        }
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") where !folder.isEmpty {
            let candidate = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Calls `body` with a NULL-terminated C array of `strings`.
    private static func withCStrings<T>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> T) -> T {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        pointers.append(nil)
        defer { pointers.forEach { free($0) } }
        return body(pointers)
    }
}

/// `--mock` could not start the simulated market.
struct MockMarketProcessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
