import Foundation
import NIOConcurrencyHelpers

/// The human side of the terminal, for every subcommand: stderr lines and their prefix, what
/// is a terminal, whether colour is allowed, and the one status line (progress) that every
/// other line is written above, so neither overwrites the other.
struct Console: Sendable {
    let stderrIsTerminal = isatty(STDERR_FILENO) == 1
    let stdoutIsTerminal = isatty(STDOUT_FILENO) == 1
    let stdinIsTerminal = isatty(STDIN_FILENO) == 1
    /// The status line on screen now, if any.
    private let status = NIOLockedValueBox<String?>(nil)

    /// What leads every line the tool writes to stderr.
    static let prefix = "offer-cancel: "

    /// Whether stdout gets colour: a terminal, and colour allowed.
    var colourOnStdout: Bool { stdoutIsTerminal && Self.allowsColour() }

    /// Whether colour is allowed, the one rule of every subcommand (no-color.org): not when
    /// `NO_COLOR` is set and not empty, nor when `TERM` is `dumb`.
    static func allowsColour(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        (environment["NO_COLOR"] ?? "").isEmpty && environment["TERM"] != "dumb"
    }

    /// Writes one line to stderr, as it is.
    func say(_ line: String) {
        write(line + "\n")
    }

    /// Writes `text` to stderr as the tool's line: `offer-cancel: text`.
    func note(_ text: String) {
        say(Self.prefix + text)
    }

    /// Writes an error that ends the command: `offer-cancel: error: text`.
    func error(_ text: String) {
        say(Self.prefix + "error: " + text)
    }

    /// Writes `text` to stderr; with a status line drawn, clears it, writes `text` as whole
    /// lines, and draws the status line again below.
    func write(_ text: String) {
        status.withLockedValue { status in
            guard let status else { return emit(text) }
            emit(Self.clear + text + (text.hasSuffix("\n") ? "" : "\n") + status)
        }
    }

    /// Draws (or redraws) the status line in place.
    func showStatus(_ line: String) {
        status.withLockedValue {
            $0 = line
            emit(Self.clear + line)
        }
    }

    /// Removes the status line, if one is drawn.
    func clearStatus() {
        status.withLockedValue {
            guard $0 != nil else { return }
            $0 = nil
            emit(Self.clear)
        }
    }

    /// Carriage return, then erase to the end of the line.
    private static let clear = "\r\u{1B}[K"

    private func emit(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
