import FuzzSupport
import JSONStream
@testable import OfferCancelKit

/// A reply as the network could send it: two bytes of status, a Retry-After header line, then
/// the body. Classification gives a verdict, and a record filled from it writes as valid JSON,
/// never a trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzReplyClassifier(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: start, count: count)
    guard bytes.count >= 2 else { return 0 }
    var reply = MarketClient.Reply()
    reply.status = 100 + Int(UInt16(bytes[0]) << 8 | UInt16(bytes[1])) % 500
    let rest = bytes[2...]
    let newline = rest.firstIndex(of: 0x0A) ?? rest.endIndex
    reply.retryAfter = MarketClient.parseRetryAfter(String(decoding: rest[rest.startIndex..<newline], as: UTF8.self))
    let body = UnsafeRawBufferPointer(rebasing: rest[min(newline + 1, rest.endIndex)...])
    do {
        reply.body = try JSONValue.parse(body)
    } catch {
        reply.bodyError = "not JSON"
    }
    let verdict = ReplyClassifier.classify(reply)
    var record = CancelRecord(seq: 1, source: "fuzz", line: 1, offerId: "x", outcome: verdict.outcome ?? .failed)
    if let offer = verdict.offer { record.fill(from: offer) }
    // The record's NDJSON bytes, written without jansson, are always JSON jansson reads back.
    var line = JSONWriteBuffer(realPrecision: 15)
    record.appendJSON(to: &line, includeOffer: true)
    if (try? JSONValue.parse(line.bytes)) == nil { fatalError("a record is not JSON: \(String(decoding: line.bytes, as: UTF8.self))") }
    _ = RetryPolicy().delay(after: 1, retryAfter: reply.retryAfter, unit: 0.5)
    return 0
}

@_cdecl("FuzzReplyClassifier_main")
public func fuzzReplyClassifierMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzReplyClassifier)
}
