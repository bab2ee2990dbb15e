import FuzzSupport
@testable import OfferCancelKit

/// Lines: any bytes become items or invalid items, never a crash; every item's text is bounded.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLines(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let decoder = LinesDecoder(input: FuzzInput.byteInput(UnsafeRawBufferPointer(start: start, count: count)), maxLineLength: 64)
    let validator = try! IDValidator()
    while let item = try? decoder.next() {
        precondition(item.raw.utf8.count <= 1024, "an item's text stays bounded")
        _ = validator.validate(item.raw)
    }
    return 0
}

@_cdecl("FuzzLines_main")
public func fuzzLinesMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzLines)
}
