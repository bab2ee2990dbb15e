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
    /// `--csv-columns`: the CSV sink's columns, in order; `nil` for all.
    public var csvColumns: [String]?
    /// `--include-offer`: NDJSON carries the reply's whole offer object.
    public var includeOffer = false
    /// Whether stderr is a terminal (text summaries may use colour).
    public var stderrIsTerminal = false
    /// `NO_COLOR` is set, or `TERM` is `dumb`: no colour.
    public var noColor = false
    /// Writes text for the person running the tool to stderr. The command routes it above its
    /// progress line; a sink that reports on stderr writes through this, not to the descriptor.
    public var stderr: @Sendable (String) -> Void = { text in try? writeAll(Array(text.utf8), to: STDERR_FILENO) }
    /// `--overwrite`: a sink may empty a file that holds records of an earlier run.
    public var overwrite = false
    /// Extra options for custom sinks, `--sink-option KEY=VALUE`.
    public var options: [String: String] = [:]
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

    /// One scheme: its help line, the target it takes, and its factory.
    public struct Entry: Sendable {
        public var scheme: String
        /// One line for `offer-cancel sinks`.
        public var help: String
        /// Shown as `scheme:<usage>` in the listing (`PATH|-`, `COMMAND`); empty for none.
        public var targetUsage: String
        public var factory: Factory
    }

    public private(set) var entries: [String: Entry] = [:]

    public init() {}

    /// Adds (or replaces) `scheme`.
    public mutating func register(_ scheme: String, targetUsage: String = "", help: String, factory: @escaping Factory) {
        entries[scheme] = Entry(scheme: scheme, help: help, targetUsage: targetUsage, factory: factory)
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
