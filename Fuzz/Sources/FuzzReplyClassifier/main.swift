import FuzzSupport
import JSONStream
@testable import OfferCancelKit

/// A reply as the network could send it: two bytes of status, a Retry-After header line, then
/// the body. Classification gives the whole decision on it (``checkDecision(_:reply:)``), and
/// a record filled from it writes as valid JSON, never a trap.
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
    let verdict = ReplyClassifier.classify(reply, latency: .milliseconds(5))
    checkDecision(verdict, reply: reply)
    var record = CancelRecord(seq: 1, source: "fuzz", line: 1, offerId: "x", outcome: verdict.outcome ?? .failed)
    if let offer = verdict.result { record.fill(from: offer) }
    // The record's NDJSON line, written without jansson, is always JSON jansson reads back.
    var lines = CancelRecord.LineWriter(includeOffer: true)
    let line = lines.line(record)
    if (try? JSONValue.parse(line)) == nil { fatalError("a record is not JSON: \(String(decoding: line, as: UTF8.self))") }
    return 0
}

/// The rest of the decision on one reply: the governor's reading of its signal, the retry's
/// permission and wait. What must hold whatever the bytes:
/// - a reply is either final or retryable, and only a retryable one may have been applied
///   (these replies all arrived whole; a status whose body broke off, a transport error with
///   a status, may be final and applied both, and is sent to the offer check);
/// - only 429 is throttled and only 503 overloaded, and a cancelled outcome is a healthy reply;
/// - the governor exempts from the budget only what was throttled or overloaded;
/// - a retry's wait is never negative and never past `Retry-After`'s cap.
func checkDecision(_ verdict: ReplyClassifier.Verdict, reply: MarketClient.Reply) {
    if verdict.mayHaveApplied && !verdict.isRetryable { fatalError("a final reply that may have been applied: \(verdict)") }
    let throttled = if case .throttled = verdict.signal { true } else { false }
    let overloaded = if case .overloaded = verdict.signal { true } else { false }
    if throttled != (reply.status == 429) || overloaded != (reply.status == 503) { fatalError("signal \(verdict.signal) for HTTP \(reply.status ?? 0)") }
    switch verdict.signal {
    case .healthy: break
    default: if verdict.outcome == .cancelled { fatalError("a cancel read from an unhealthy reply: \(verdict.signal)") }
    }
    let now = ContinuousClock.now
    let governor = Governor(settings: .init(), now: now)
    guard case .go(_, let inFlight) = governor.decide(now: now) else { fatalError("a fresh governor refused the first request") }
    let retry = governor.release(Governor.Permit(issuedAt: now, inFlight: inFlight, firstAttempt: true, waited: .zero), verdict.signal, now: now)
    if retry != .ownBackoff && !(throttled || overloaded) { fatalError("\(retry) for \(verdict.signal)") }
    _ = governor.mayRetry(retry, now: now)
    let policy = RetryPolicy()
    if let delay = policy.delay(after: 1, retryAfter: verdict.retryAfter, unit: 0.5), delay < .zero || delay > max(policy.retryAfterCap, policy.cap) {
        fatalError("a retry after \(delay)")
    }
}

@_cdecl("FuzzReplyClassifier_main")
public func fuzzReplyClassifierMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzReplyClassifier)
}
