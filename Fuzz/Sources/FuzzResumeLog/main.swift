import FuzzSupport
@testable import OfferCancelKit

/// A record log as a crash, a full disk or a hostile file could leave it: read or refused.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzResumeLog(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let path = FuzzInput.path(holding: UnsafeRawBufferPointer(start: start, count: count))
    if let log = try? ResumeLog(path: path, validator: try! IDValidator(), retrying: [.forbidden]) {
        precondition(log.records > 0, "a log is accepted only with a record in it")
        _ = log.matches(inputs: ["ids.txt"])
    }
    return 0
}

@_cdecl("FuzzResumeLog_main")
public func fuzzResumeLogMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzResumeLog)
}
