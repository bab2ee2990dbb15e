import Foundation

/// The human side of the terminal: stderr lines, and what is a terminal.
struct Console: Sendable {
    let stderrIsTerminal = isatty(STDERR_FILENO) == 1
    let stdoutIsTerminal = isatty(STDOUT_FILENO) == 1

    /// Writes one line to stderr.
    func say(_ line: String) {
        write(line + "\n")
    }

    func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
