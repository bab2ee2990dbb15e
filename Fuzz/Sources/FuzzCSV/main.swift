import FuzzSupport
@testable import OfferCancelKit

/// CSV: a header row, then rows; any bytes give items or an input error, never a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = FuzzInput.byteInput(UnsafeRawBufferPointer(start: start, count: count))
    guard let decoder = try? CSVDecoder(input: input, source: "fuzz.csv", idColumn: nil, maxRecordLength: 256) else { return 0 }
    while let item = try? decoder.next() { _ = item.raw }
    return 0
}

@_cdecl("FuzzCSV_main")
public func fuzzCSVMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzCSV)
}
