// swift-tools-version: 6.2
import PackageDescription

/// Settings every target of ours shares: Swift 6 language mode (strict concurrency)
/// and the upcoming features that keep imports and existentials explicit.
let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// Tests keep Swift 6 mode; they may use what their dependencies re-export.
let testSettings: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "offer-cancel",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "offer-cancel", targets: ["offer-cancel"]),
        .executable(name: "arkane-mock", targets: ["arkane-mock"]),
        .library(name: "OfferCancelKit", targets: ["OfferCancelKit"]),
        .library(name: "OfferCancelCLI", targets: ["OfferCancelCLI"]),
        .library(name: "JSONStream", targets: ["JSONStream"]),
        .library(name: "MockMarket", targets: ["MockMarket"]),
        .library(name: "CSVSink", targets: ["CSVSink"]),
        .library(name: "NDJSONSink", targets: ["NDJSONSink"]),
        .library(name: "SummarySink", targets: ["SummarySink"]),
        .library(name: "RunReport", targets: ["RunReport"]),
        .library(name: "RunMetrics", targets: ["RunMetrics"]),
        .library(name: "ExecSink", targets: ["ExecSink"]),
        .plugin(name: "NewSink", targets: ["NewSink"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-http2", from: "1.46.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-async-algorithms", from: "1.1.4"),
        .package(url: "https://github.com/apple/swift-system", from: "1.5.0"),
        // The run's metrics: swift-metrics' instruments, Prometheus' exposition (`--metrics-listen`, `--metrics-textfile`).
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // `swift package generate-documentation` (the DocC catalogs; CI builds them).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // MARK: JSON through jansson
        .systemLibrary(
            name: "CJansson",
            pkgConfig: "jansson",
            providers: [.apt(["libjansson-dev"])]
        ),
        // jansson's allocations from shared blocks, installed before main (see its header).
        .target(name: "JanssonArena", dependencies: ["CJansson"]),
        .target(name: "JSONStream", dependencies: ["CJansson", "JanssonArena"], swiftSettings: strictSettings),

        // MARK: Core
        .target(
            name: "OfferCancelKit",
            dependencies: [
                "JSONStream",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: Reports: the summaries (live and from logs) and `report`'s HTML
        .target(
            name: "RunReport",
            dependencies: ["OfferCancelKit", "JSONStream", .product(name: "Histogram", package: "hdrhistogram-swift")],
            swiftSettings: strictSettings
        ),

        // MARK: Metrics while a run goes: its instruments, endpoint and textfile
        .target(
            name: "RunMetrics",
            dependencies: [
                "OfferCancelKit",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: Sinks, one module each
        .target(name: "CSVSink", dependencies: ["OfferCancelKit"], path: "Sources/Sinks/CSVSink", swiftSettings: strictSettings),
        .target(name: "NDJSONSink", dependencies: ["OfferCancelKit", "JSONStream"], path: "Sources/Sinks/NDJSONSink", swiftSettings: strictSettings),
        .target(
            name: "SummarySink",
            dependencies: ["OfferCancelKit", "RunReport", "JSONStream"],
            path: "Sources/Sinks/SummarySink",
            swiftSettings: strictSettings
        ),
        .target(
            name: "ExecSink",
            dependencies: [
                "OfferCancelKit",
                "JSONStream",
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            path: "Sources/Sinks/ExecSink",
            swiftSettings: strictSettings
        ),

        // MARK: Simulated market
        .target(
            name: "MockMarket",
            dependencies: [
                "JSONStream",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdHTTP2", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: Command line
        .target(
            name: "OfferCancelCLI",
            dependencies: [
                "OfferCancelKit", "CSVSink", "NDJSONSink", "SummarySink", "ExecSink", "RunReport", "RunMetrics",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(name: "offer-cancel", dependencies: ["OfferCancelCLI"], swiftSettings: strictSettings),
        .executableTarget(
            name: "arkane-mock",
            dependencies: ["MockMarket", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strictSettings
        ),

        // MARK: Plugins
        .plugin(
            name: "NewSink",
            capability: .command(
                intent: .custom(verb: "new-sink", description: "Scaffold a custom offer-cancel sink module"),
                permissions: [.writeToPackageDirectory(reason: "Creates the new sink's sources and tests")]
            )
        ),

        // MARK: Tests
        .target(
            name: "TestSupport",
            dependencies: ["MockMarket", "JSONStream", .product(name: "AsyncHTTPClient", package: "async-http-client")],
            path: "Tests/TestSupport",
            swiftSettings: testSettings
        ),
        .testTarget(name: "JSONStreamTests", dependencies: ["JSONStream"], swiftSettings: testSettings),
        .testTarget(
            name: "OfferCancelKitTests",
            dependencies: [
                "OfferCancelKit", "MockMarket", "TestSupport",
                .product(name: "NIOEmbedded", package: "swift-nio"), .product(name: "NIOHTTP2", package: "swift-nio-http2"),
            ],
            swiftSettings: testSettings
        ),
        .testTarget(name: "MockMarketTests", dependencies: ["MockMarket", "JSONStream", "TestSupport", .product(name: "AsyncHTTPClient", package: "async-http-client")], swiftSettings: testSettings),
        .testTarget(
            name: "SinkTests",
            dependencies: [
                "CSVSink", "NDJSONSink", "SummarySink", "ExecSink", "RunReport", "JSONStream", "OfferCancelKit", "TestSupport",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: testSettings
        ),
        .testTarget(name: "RunReportTests", dependencies: ["RunReport", "OfferCancelKit", "JSONStream", "TestSupport"], swiftSettings: testSettings),
        .testTarget(name: "RunMetricsTests", dependencies: ["RunMetrics", "OfferCancelKit"], swiftSettings: testSettings),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["JSONStream", "TestSupport", .product(name: "AsyncHTTPClient", package: "async-http-client")],
            swiftSettings: testSettings
        ),
    ]
)
