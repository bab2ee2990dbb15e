// swift-tools-version: 6.1
// Micro-benchmarks of offer-cancel's hot path, with ordo-one/benchmark (time and mallocs per
// operation). A package of its own so the root never depends on the benchmark tooling.
//
//     cd Benchmarks/Micro && swift package benchmark
//
// BENCHMARKS.md quotes its tables; `.ci/run` only builds it.
import PackageDescription

let package = Package(
    name: "offer-cancel-micro",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "offer-cancel", path: "../.."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "HotPath",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "OfferCancelKit", package: "offer-cancel"),
                .product(name: "NDJSONSink", package: "offer-cancel"),
                .product(name: "CSVSink", package: "offer-cancel"),
                .product(name: "JSONStream", package: "offer-cancel"),
            ],
            path: "Benchmarks/HotPath",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
