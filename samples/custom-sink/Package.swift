// swift-tools-version: 6.2
import PackageDescription

// A custom sink in a package of its own: a Markdown report of a run, and an
// `offer-cancel-md` binary that knows the `markdown` scheme besides the built-in ones.
let package = Package(
    name: "custom-sink",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "offer-cancel", path: "../.."),
    ],
    targets: [
        .target(
            name: "MarkdownReportSink",
            dependencies: [.product(name: "OfferCancelKit", package: "offer-cancel")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "offer-cancel-md",
            dependencies: ["MarkdownReportSink", .product(name: "OfferCancelCLI", package: "offer-cancel")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .testTarget(
            name: "MarkdownReportSinkTests",
            dependencies: ["MarkdownReportSink", .product(name: "OfferCancelKit", package: "offer-cancel")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
