import FuzzSupport
@testable import OfferCancelKit

/// NDJSON through jansson: a bad line is an invalid item and reading goes on.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNDJSON(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let decoder = NDJSONItemDecoder(input: FuzzInput.byteInput(UnsafeRawBufferPointer(start: start, count: count)), idField: "a.b", maxLineLength: 512)
    while let item = try? decoder.next() { _ = item.raw }
    return 0
}

@_cdecl("FuzzNDJSON_main")
public func fuzzNDJSONMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzNDJSON)
}
