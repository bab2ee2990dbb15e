import Foundation
import PackagePlugin

/// `swift package --allow-writing-to-package-directory new-sink NAME`
///
/// Scaffolds, in the package it is run in, a compiling sink module `NAMESink`, its test
/// target `NAMESinkTests` and an executable `offer-cancel-name` that adds the sink to the
/// built-in ones; then prints the `Package.swift` lines that declare them. Existing files are
/// never overwritten.
@main
struct NewSink: CommandPlugin {
    func performCommand(context: PluginContext, arguments: [String]) async throws {
        let extractor = ArgumentExtractor(arguments)
        let positional = extractor.remainingArguments
        guard positional.count == 1, let base = Scaffold.typeName(positional[0]) else {
            throw PluginError("usage: swift package --allow-writing-to-package-directory new-sink NAME  (NAME: letters and digits, e.g. Audit)")
        }
        let dependency = context.package.dependencies.first { dependency in
            dependency.package.products.contains { $0.name == "OfferCancelKit" }
        }
        // The name the manifest knows the dependency by (its package name, as `.package(name:path:)` sets it).
        let packageID = dependency?.package.displayName ?? "offer-cancel"
        let scaffold = Scaffold(base: base, packageID: packageID)
        let root = context.package.directoryURL
        for (path, text) in scaffold.files {
            let url = root.appendingPathComponent(path)
            guard !FileManager.default.fileExists(atPath: url.path) else {
                throw PluginError("\(path) exists already; nothing was written for it")
            }
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
            print("created \(path)")
        }
        print("")
        print("Add these targets to Package.swift:")
        print(scaffold.manifestLines)
    }
}

/// A message for the person who ran the plugin.
struct PluginError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The files and manifest lines for one sink.
struct Scaffold {
    let base: String
    let packageID: String

    /// `audit`, `audit-log` → `Audit`, `AuditLog`; `nil` for names that are not identifiers.
    static func typeName(_ raw: String) -> String? {
        let words = raw.split(whereSeparator: { $0 == "-" || $0 == "_" || $0 == " " })
        let name = words.map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
        let trimmed = name.hasSuffix("Sink") ? String(name.dropLast(4)) : name
        guard let first = trimmed.first, first.isLetter, trimmed.allSatisfy({ $0.isLetter || $0.isNumber }) else { return nil }
        return trimmed
    }

    var module: String { "\(base)Sink" }
    var scheme: String { base.lowercased() }
    var executable: String { "offer-cancel-\(scheme)" }

    var files: [(String, String)] {
        [("Sources/\(module)/\(module).swift", sinkSource),
         ("Tests/\(module)Tests/\(module)Tests.swift", testSource),
         ("Sources/\(executable)/main.swift", mainSource)]
    }

    var manifestLines: String {
        """
                .target(
                    name: "\(module)",
                    dependencies: [.product(name: "OfferCancelKit", package: "\(packageID)")]
                ),
                .testTarget(
                    name: "\(module)Tests",
                    dependencies: ["\(module)", .product(name: "OfferCancelKit", package: "\(packageID)")]
                ),
                .executableTarget(
                    name: "\(executable)",
                    dependencies: ["\(module)", .product(name: "OfferCancelCLI", package: "\(packageID)")]
                ),
        """
    }

    var sinkSource: String {
        """
        import Foundation
        import OfferCancelKit

        /// `\(scheme):PATH|+PATH|-`: one tab-separated line per record (seq, offerId, outcome, httpStatus).
        ///
        /// Replace the body of `write` with what your sink does; keep the contract of
        /// `OfferSink`: throw from `init` for set-up errors and touch nothing there, open in
        /// `open`, never `fatalError` on the write path. `SinkOutput` gives the run's
        /// guarantees: the target is claimed (never an input, the --resume log or another
        /// sink's file), created only in `open`, and written whole lines at a time.
        public struct \(module): OfferSink {
            private let output: SinkOutput
            private var line: [UInt8] = []

            /// Claims `target` in `context`; touches no file.
            public init(target: String, context: SinkContext = SinkContext()) throws {
                output = try SinkOutput(target: target, scheme: "\(scheme)", context: context)
            }

            /// One line per record: a run may rely on it as its record (`false` for a sink
            /// that only aggregates).
            public var keepsRecords: Bool { true }

            public func open(_ run: RunInfo) async throws {
                try output.open()
            }

            public mutating func write(_ record: CancelRecord) async throws {
                line.removeAll(keepingCapacity: true)
                let fields = [String(record.seq), record.offerId, record.outcome.rawValue, record.httpStatus.map(String.init) ?? ""]
                line.append(contentsOf: fields.joined(separator: "\\t").utf8)
                line.append(0x0A)
                try await output.write(line)
            }

            public func close(_ summary: RunSummary) async throws {}

            /// Adds the `\(scheme)` scheme.
            public static func register(in registry: inout SinkRegistry) {
                registry.register("\(scheme)", targetUsage: "PATH|+PATH|-", help: "one tab-separated line per record") { spec, context in
                    guard let target = spec.target, !target.isEmpty else { throw SinkSpecError("\(scheme) needs a target: \(scheme):out.tsv") }
                    return try \(module)(target: target, context: context)
                }
            }
        }

        """
    }

    var testSource: String {
        """
        import Foundation
        import OfferCancelKit
        import \(module)
        import Testing

        @Suite struct \(module)Tests {
            @Test func writesOneLinePerRecord() async throws {
                let path = NSTemporaryDirectory() + "\(scheme)-\\(UUID().uuidString).tsv"
                defer { try? FileManager.default.removeItem(atPath: path) }
                var sink = try \(module)(target: path)
                let start = Timestamp.now()
                try await sink.open(RunInfo(startedAt: start, inputs: ["-"], baseURL: "http://127.0.0.1", concurrency: 1, dryRun: true, toolVersion: "test"))
                for seq in 1...3 {
                    try await sink.write(CancelRecord(seq: seq, source: "-", line: seq, offerId: "id-\\(seq)", outcome: .dryRun))
                }
                try await sink.close(RunSummary(startedAt: start, finishedAt: .now(), counts: [.dryRun: 3], interrupted: false, abortReason: nil))
                let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\\n")
                #expect(lines == ["1\\tid-1\\tdry_run\\t", "2\\tid-2\\tdry_run\\t", "3\\tid-3\\tdry_run\\t"])
            }

            @Test func refusesToWriteOverAnInput() throws {
                let path = NSTemporaryDirectory() + "\(scheme)-\\(UUID().uuidString).txt"
                FileManager.default.createFile(atPath: path, contents: Data("keep\\n".utf8))
                defer { try? FileManager.default.removeItem(atPath: path) }
                let context = SinkContext()
                context.targets.claimRead(path, as: .input)
                #expect(throws: SinkSpecError.self) { try \(module)(target: path, context: context) }
                #expect(try String(contentsOfFile: path, encoding: .utf8) == "keep\\n")
            }

            @Test func registersItsScheme() {
                var registry = SinkRegistry()
                \(module).register(in: &registry)
                #expect(registry.sorted.map(\\.scheme) == ["\(scheme)"])
            }
        }

        """
    }

    var mainSource: String {
        """
        import \(module)
        import OfferCancelCLI
        import OfferCancelKit

        var registry = SinkRegistry.standard
        \(module).register(in: &registry)
        await OfferCancelCommand.main(registry: registry)

        """
    }
}
