import Foundation
import JSONStream
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A parsed `--sink SCHEME[:TARGET]`.
public struct SinkSpec: Sendable, Equatable, CustomStringConvertible {
    public var scheme: String
    /// What follows the first `:`; `nil` when there is none.
    public var target: String?

    public init(scheme: String, target: String? = nil) {
        self.scheme = scheme
        self.target = target
    }

    /// Splits at the first `:`. Throws for an empty scheme.
    public init(parsing text: String) throws(SinkSpecError) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard let scheme = parts.first, !scheme.isEmpty else { throw SinkSpecError("sink spec \"\(text)\" has no scheme") }
        self.init(scheme: String(scheme), target: parts.count > 1 ? String(parts[1]) : nil)
    }

    public var description: String { target.map { "\(scheme):\($0)" } ?? scheme }
}

/// What a sink factory may use besides its spec: the run's output options and streams.
public struct SinkContext: Sendable {
    /// Whether stderr is a terminal (text summaries may use colour).
    public var stderrIsTerminal = false
    /// `NO_COLOR` is set, or `TERM` is `dumb`: no colour.
    public var noColor = false
    /// Writes text for the person running the tool to stderr. The command routes it above its
    /// progress line; a sink that reports on stderr writes through this, not to the descriptor.
    public var stderr: @Sendable (String) -> Void = { text in try? writeAll(Array(text.utf8), to: STDERR_FILENO) }
    /// `--overwrite`: a sink may empty a file that holds records of an earlier run.
    public var overwrite = false
    /// Options of the sinks, `--sink-option SCHEME.NAME=VALUE` (and the command's shorthands,
    /// `--csv-columns`, `--include-offer`), each declared by a scheme's registry entry
    /// (``SinkRegistry/Option``) and checked against it before any sink is made.
    public var options: [String: String] = [:]

    /// The flag option `key`: `true` when set to `true`, `yes` or `1`.
    public func flag(_ key: String) -> Bool {
        options[key].map(SinkRegistry.Option.Kind.isTrue) ?? false
    }

    /// The list option `key`, its comma-separated items trimmed (empty ones left out); `nil`
    /// when not set.
    public func list(_ key: String) -> [String]? {
        options[key].map(SinkRegistry.Option.Kind.items)
    }

    /// The integer option `key`; `nil` when not set.
    public func integer(_ key: String) -> Int? {
        options[key].flatMap { Int($0) }
    }

    /// The run's files by identity; ``SinkOutput`` claims each sink's target here so that no
    /// two users share a file. Shared by every copy of the context.
    public var targets = SinkTargets()

    public init() {}
}

/// A bad sink spec or target, found before anything is sent; the command exits 2 with this
/// message. Failures while the run goes on are ``SinkWriteError``s.
public struct SinkSpecError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Sink schemes and the factories that make them.
///
/// The command looks up every `--sink` here. A custom binary adds its own scheme before
/// handing the registry to `OfferCancelCommand.main(registry:)`.
public struct SinkRegistry: Sendable {
    /// Makes a sink for a spec; throws ``SinkSpecError`` (or any error) for a bad target.
    public typealias Factory = @Sendable (SinkSpec, SinkContext) throws -> any OfferSink

    /// One scheme: its help line, the target it takes, its options, and its factory.
    public struct Entry: Sendable {
        public var scheme: String
        /// One line for `offer-cancel sinks`.
        public var help: String
        /// Shown as `scheme:<usage>` in the listing (`PATH|-`, `COMMAND`); empty for none.
        public var targetUsage: String
        /// The options the scheme reads from ``SinkContext/options``.
        public var options: [Option]
        public var factory: Factory
    }

    /// An option a sink reads, `--sink-option KEY=VALUE`: its key (`SCHEME.NAME` by
    /// convention), the kind of value, and a help line for `offer-cancel sinks`.
    public struct Option: Sendable {
        /// What a value must look like.
        public enum Kind: Sendable {
            /// `true`/`false` (also `yes`/`no`, `1`/`0`): ``SinkContext/flag(_:)``.
            case flag
            /// A whole number: ``SinkContext/integer(_:)``.
            case integer
            /// Comma-separated names: ``SinkContext/list(_:)``.
            case list
            /// Any text, read as given.
            case text

            /// Why `value` is not of this kind; `nil` when it is.
            func problem(with value: String) -> String? {
                switch self {
                case .flag: Self.isTrue(value) || ["false", "no", "0"].contains(value.lowercased()) ? nil : "expected true or false"
                case .integer: Int(value) == nil ? "expected a whole number" : nil
                case .list: Self.items(value).isEmpty ? "expected comma-separated names" : nil
                case .text: nil
                }
            }

            static func isTrue(_ value: String) -> Bool { ["true", "yes", "1"].contains(value.lowercased()) }
            static func items(_ value: String) -> [String] {
                value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            }
        }

        public var key: String
        public var kind: Kind
        public var help: String

        public init(_ key: String, _ kind: Kind, help: String) {
            self.key = key
            self.kind = kind
            self.help = help
        }
    }

    public private(set) var entries: [String: Entry] = [:]

    public init() {}

    /// Adds (or replaces) `scheme`, which reads `options`.
    public mutating func register(_ scheme: String, targetUsage: String = "", help: String, options: [Option] = [], factory: @escaping Factory) {
        entries[scheme] = Entry(scheme: scheme, help: help, targetUsage: targetUsage, options: options, factory: factory)
    }

    /// Checks `options` (`--sink-option KEY=VALUE`) against the options the schemes declare:
    /// each key one of them, each value of its kind. Throws for the first that is not.
    public func check(_ options: [String: String]) throws(SinkSpecError) {
        for (key, value) in options.sorted(by: { $0.key < $1.key }) {
            if let problem = problem(key, value) { throw SinkSpecError("--sink-option \(key)=\(value): \(problem)") }
        }
    }

    /// Why `value` is no value of the option `key`, naming the keys known when no scheme
    /// declares it; `nil` when it is one.
    public func problem(_ key: String, _ value: String) -> String? {
        guard let option = entries.values.lazy.flatMap(\.options).first(where: { $0.key == key }) else {
            let known = Set(entries.values.flatMap(\.options).map(\.key)).sorted().joined(separator: ", ")
            return "no sink takes \(key)" + (known.isEmpty ? "" : "; known: \(known)") + " (offer-cancel sinks lists them)"
        }
        return option.kind.problem(with: value)
    }

    /// Makes the sink a spec names.
    public func makeSink(_ spec: SinkSpec, context: SinkContext) throws -> any OfferSink {
        guard let entry = entries[spec.scheme] else {
            throw SinkSpecError("unknown sink scheme \"\(spec.scheme)\"; known: \(entries.keys.sorted().joined(separator: ", "))")
        }
        return try entry.factory(spec, context)
    }

    /// Entries sorted by scheme, for listings.
    public var sorted: [Entry] { entries.values.sorted { $0.scheme < $1.scheme } }
}
