// swift-tools-version: 6.2
import PackageDescription

/// libFuzzer targets, one per input decoder, one for the reply classifier, one for the resume
/// log. Built by `Fuzz/run.sh` with the flags in `build-flags`: AddressSanitizer, libFuzzer's
/// coverage and `-enable-testing` (the targets reach the library's internal decoders through
/// `@testable import`). Only the targets link libFuzzer (`-sanitize=fuzzer`), so the same
/// flags build the whole suite too, and `.ci/run` links these against its ASan build.
let fuzzTargets = ["FuzzLines", "FuzzCSV", "FuzzNDJSON", "FuzzJSONDocument", "FuzzReplyClassifier", "FuzzResumeLog"]

let package = Package(
    name: "offer-cancel-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "offer-cancel", path: "..")],
    targets: [
        .target(name: "FuzzSupport", dependencies: [.product(name: "OfferCancelKit", package: "offer-cancel")]),
    ] + fuzzTargets.map { name in
        .executableTarget(
            name: name,
            dependencies: ["FuzzSupport", .product(name: "OfferCancelKit", package: "offer-cancel"), .product(name: "JSONStream", package: "offer-cancel")],
            // No Swift entry point: libFuzzer's main drives LLVMFuzzerTestOneInput (and SwiftPM
            // then leaves `main` alone).
            swiftSettings: [.unsafeFlags(["-parse-as-library"])],
            linkerSettings: [.unsafeFlags(["-sanitize=fuzzer"])]
        )
    }
)
