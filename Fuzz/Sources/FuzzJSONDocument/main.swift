import FuzzSupport
@testable import OfferCancelKit

/// A JSON document (an array, or the API's export envelope), streamed element by element.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONDocument(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let decoder = JSONDocumentDecoder(input: FuzzInput.byteInput(UnsafeRawBufferPointer(start: start, count: count)), idField: nil)
    while let item = try? decoder.next() { _ = item.raw }
    return 0
}

@_cdecl("FuzzJSONDocument_main")
public func fuzzJSONDocumentMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzJSONDocument)
}
