import AsyncHTTPClient
import Foundation
import JSONStream
import MockMarket
@testable import OfferCancelKit
import Testing
import TestSupport

@Suite struct RetryPolicyTests {
    let policy = RetryPolicy(maxAttempts: 4, base: .milliseconds(100), cap: .milliseconds(500), retryAfterCap: .seconds(5))

    @Test(arguments: [(1, 100), (2, 200), (3, 400)])
    func fullJitterStaysUnderTheExponentialCeiling(attempt: Int, ceilingMs: Int) throws {
        #expect(policy.delay(after: attempt, retryAfter: nil, unit: 0) == .zero)
        let top = try #require(policy.delay(after: attempt, retryAfter: nil, unit: 0.999_999))
        #expect(top <= .milliseconds(ceilingMs) && top > .milliseconds(ceilingMs) * 0.99)
    }

    @Test func theCapHoldsAndAttemptsRunOut() {
        #expect(RetryPolicy(maxAttempts: 40, base: .milliseconds(100), cap: .milliseconds(500)).delay(after: 30, retryAfter: nil, unit: 0.5) == .milliseconds(250))
        #expect(policy.delay(after: 4, retryAfter: nil, unit: 0.5) == nil)
        #expect(RetryPolicy(maxAttempts: 1).delay(after: 1, retryAfter: .seconds(1), unit: 0) == nil)
    }

    @Test func retryAfterWinsUpToItsCap() {
        #expect(policy.delay(after: 1, retryAfter: .seconds(2), unit: 0.3) == .seconds(2))
        #expect(policy.delay(after: 1, retryAfter: .seconds(120), unit: 0.3) == .seconds(5))
    }

    @Test(arguments: [(429, true), (500, true), (502, true), (503, true), (599, true), (408, true),
                      (400, false), (401, false), (403, false), (404, false), (409, false), (200, false)])
    func onlyTransientStatusesAreRetried(status: Int, retryable: Bool) {
        #expect(RetryPolicy.isRetryable(status: status) == retryable)
    }
}

@Suite struct RateTextTests {
    @Test(arguments: [("10", 10.0), ("10/s", 10), ("120/m", 2), ("3600/h", 1), ("0.5/s", 0.5)] as [(String, Double)])
    func ratesParse(text: String, perSecond: Double) {
        #expect(RateText.perSecond(text) == perSecond)
    }

    @Test(arguments: ["", "0", "-1/s", "fast", "10/d", "nan", "inf"])
    func badRatesAreRejected(text: String) {
        #expect(RateText.perSecond(text) == nil)
    }
}

@Suite struct ReplyClassifierTests {
    static func reply(_ status: Int?, _ body: String?, transport: String? = nil) -> MarketClient.Reply {
        var reply = MarketClient.Reply()
        reply.status = status
        reply.body = body.flatMap { try? JSONValue.parse($0) }
        if body != nil && reply.body == nil { reply.bodyError = "reply is not valid JSON" }
        reply.transportError = transport
        return reply
    }

    static func error(_ code: String, _ message: String = "m") -> String {
        #"{"success":false,"errors":[{"code":"\#(code)","traceCode":"t1","message":"\#(message)"}]}"#
    }

    @Test(arguments: [
        (200, #"{"success":true,"result":{"id":"x","status":"READY"}}"#, Outcome?.some(.cancelled), false),
        (200, #"{"success":false,"errors":[]}"#, .failed, false),
        (200, #"{"success":true,"resu"#, nil, true),
        (404, error("offer.not-found"), .notFound, false),
        (403, error("offer.not-owner"), .forbidden, false),
        (409, error("offer.already-closed"), .alreadyClosed, false),
        (409, error("offer.not-cancellable"), .notCancellable, false),
        (400, error("OFFER_ALREADY_CLOSED"), .alreadyClosed, false),
        (400, error("x", "Offer is in status CLOSING_OFFER"), .failed, false),  // a message never makes a failure ok
        (400, error("x", "Offer is already closed"), .failed, false),
        (422, error("x", "Offer is SOLD"), .notCancellable, false),
        (422, error("x", "Offer is UNSOLD"), .failed, false),                  // whole words only
        (400, error("bad.request"), .failed, false),
        (400, "<html>", .failed, false),
        (404, "<html><body>Not Found</body></html>", .failed, false),          // a wrong --base-url
        (404, nil, .failed, false),                                            // an empty 404
        (403, "", .failed, false),                                             // an empty 403
        (404, #"{"timestamp":"2024-01-01","status":404,"error":"Not Found","path":"/v2/offers/x/cancel"}"#, .failed, false),  // another service's JSON
        (403, #"{"message":"Forbidden"}"#, .failed, false),
        (409, error("x"), .failed, false),                                     // envelope, unknown code, 409 alone says nothing
        (404, #"{"success":false,"errors":[]}"#, .notFound, false),
        (429, error("rate.limited"), nil, true),
        (503, nil, nil, true),
        (500, error("internal.error"), nil, true),
    ] as [(Int, String?, Outcome?, Bool)])
    func statusFirstThenCodeThenMessage(status: Int, body: String?, outcome: Outcome?, retryable: Bool) {
        let verdict = ReplyClassifier.classify(Self.reply(status, body))
        #expect(verdict.outcome == outcome)
        #expect(verdict.isRetryable == retryable)
        if outcome != nil && outcome != .cancelled { #expect(verdict.errorMessage != nil) }
    }

    /// One reading of a reply: its flow signal and whether the cancel may have been applied
    /// come with the outcome (the worker read the status line again for the second).
    @Test(arguments: [
        (200, #"{"success":true,"result":{}}"#, nil as String?, FlowSignal.healthy(latency: .milliseconds(7)), false),
        (200, #"{"success":tr"#, nil, .failing, true),
        (404, error("offer.not-found"), nil, .healthy(latency: .milliseconds(7)), false),
        (429, nil, nil, .throttled(retryAfter: nil), false),
        (503, nil, nil, .overloaded(retryAfter: nil), true),
        (500, nil, nil, .failing, true),
        (408, nil, nil, .timedOut, false),
        (nil, nil, "connection reset", .failing, true),
    ] as [(Int?, String?, String?, FlowSignal, Bool)])
    func aVerdictCarriesTheSignalAndWhetherTheCancelMayHaveApplied(status: Int?, body: String?, transport: String?, signal: FlowSignal, mayHaveApplied: Bool) {
        let verdict = ReplyClassifier.classify(Self.reply(status, body, transport: transport), latency: .milliseconds(7))
        #expect(verdict.signal == signal)
        #expect(verdict.mayHaveApplied == mayHaveApplied)
        #expect(!verdict.mayHaveApplied || verdict.isRetryable, "only a reply worth retrying may have been applied")
    }

    @Test func transportErrorsAreRetryableAndExplained() {
        let verdict = ReplyClassifier.classify(Self.reply(nil, nil, transport: "timed out waiting for the reply"))
        #expect(verdict.outcome == nil && verdict.isRetryable)
        #expect(verdict.errorMessage == "timed out waiting for the reply")
    }

    @Test func codesAndTraceAreKept() {
        let verdict = ReplyClassifier.classify(Self.reply(404, Self.error("offer.not-found", "gone")))
        #expect(verdict.errorCode == "offer.not-found" && verdict.traceCode == "t1" && verdict.errorMessage == "gone")
    }
}

@Suite(.serverShare) struct MarketClientTests {
    @Test(arguments: ["http://api.example.com", "http://10.0.0.1:8080", "ftp://127.0.0.1", "not a url",
                      "http://127.0.0.1.nip.io", "http://127.attacker.example", "http://127.0.0.1.example:8080", "http://localhost.attacker.example"])
    func tokensNeverTravelInTheClear(url: String) {
        #expect(throws: MarketClientError.self) {
            _ = try MarketClient(baseURL: url, credentials: .token("t"), concurrency: 1, timeout: .seconds(1))
        }
    }

    @Test(arguments: ["http://127.0.0.1:9", "http://localhost:9", "http://LOCALHOST:9", "http://127.8.9.10:9", "http://[::1]:9", "https://api.arkane.market"])
    func loopbackAndHTTPSAreAllowed(url: String) async throws {
        let client = try MarketClient(baseURL: url, credentials: .token("t"), concurrency: 1, timeout: .seconds(1))
        await client.shutdown()
    }

    @Test func theClientSecretNeedsHTTPSToo() {
        #expect(throws: MarketClientError.self) {
            _ = try MarketClient(baseURL: "https://api.arkane.market", credentials: .clientCredentials(id: "a", secret: "b", authURL: "http://login.example"),
                                 concurrency: 1, timeout: .seconds(1))
        }
    }

    /// Hostile or absurd `Retry-After` values: no trap, never more than a day, never negative.
    @Test(arguments: [("inf", nil), ("-inf", nil), ("nan", nil), ("1e20", Duration.seconds(86_400)), ("-5", nil),
                      ("99999999999999999999999", .seconds(86_400)), ("Fri, 31 Dec 9999 23:59:59 GMT", .seconds(86_400)), ("", nil)] as [(String, Duration?)])
    func retryAfterIsRangeChecked(value: String, expected: Duration?) {
        #expect(MarketClient.parseRetryAfter(value) == expected)
    }

    @Test func backoffNeverOverflows() {
        let policy = RetryPolicy(maxAttempts: 100, base: .seconds(86_400), cap: .seconds(86_400 * 1000), retryAfterCap: .seconds(60))
        #expect(policy.delay(after: 60, retryAfter: nil, unit: 0.999) != nil)
    }

    @Test func retryAfterParsesBothForms() throws {
        #expect(MarketClient.parseRetryAfter("3") == .seconds(3))
        #expect(MarketClient.parseRetryAfter(" 0.5 ") == .milliseconds(500))
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let inTen = try #require(MarketClient.parseRetryAfter(formatter.string(from: Date(timeIntervalSinceNow: 10))))
        #expect(inTen > .seconds(8) && inTen <= .seconds(10))
        #expect(MarketClient.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT") == .zero, "a past date means now")
        #expect(MarketClient.parseRetryAfter("soon") == nil)
    }

    @Test func pathSegmentsArePercentEncoded() throws {
        let id = try IDValidator(pattern: "[a-z:@!$&'()*+,;=-]+").validate("a:b@c!d").get()
        #expect(MarketClient.Route.cancel(id).path == "/offers/a%3Ab%40c%21d/cancel")
        let uuid = try IDValidator().validate("EBB1574A-BF3B-43A9-8BF5-EE7B30044F10").get()
        #expect(MarketClient.Route.offer(uuid).path == "/offers/ebb1574a-bf3b-43a9-8bf5-ee7b30044f10")
    }
}

@Suite(.serverShare) struct TokenProviderTests {
    @Test func manyConcurrentCallersShareOneFetch() async throws {
        try await MarketHarness.with { harness in
            let (market, client) = (harness.server, harness.client)
            // A generous timeout: on a loaded machine (a sanitizer, two cores) a first attempt
            // that times out is retried, and the market would count two token requests.
            let provider = TokenProvider(credentials: .clientCredentials(id: "mock-client", secret: "mock-secret", authURL: market.baseURL), client: client, timeout: .seconds(120))
            let tokens = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<50 { group.addTask { try await provider.token().value } }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(tokens.count == 1)
            #expect(await provider.refreshCount == 1)
            #expect(market.stats()["requests"]?["token"]?.integer == 1)
        }
    }

    @Test func tokensAreRefreshedBeforeTheyExpireAndAfterA401() async throws {
        try await MarketHarness.with({ $0.tokenLifetime = 2 }) { harness in
            let (market, client) = (harness.server, harness.client)
            let provider = TokenProvider(credentials: .clientCredentials(id: "mock-client", secret: "mock-secret", authURL: market.baseURL), client: client, timeout: .seconds(5))
            let first = try await provider.token()
            try await Task.sleep(for: .milliseconds(1600))
            let second = try await provider.token()
            #expect(first != second, "a 2-second token is replaced half a second before it expires")
            await provider.invalidate(second)
            let asked = ContinuousClock.now
            let third = try await provider.token()
            #expect(third != second)
            await provider.invalidate(first)
            let current = try await provider.token()
            // `third` is younger than `asked`: until its refresh is due (1.5 s), nothing may replace
            // it (a loaded machine, under a sanitizer, can take longer, and then a refresh is right).
            if ContinuousClock.now - asked < .milliseconds(1500) { #expect(current == third, "a stale token does not throw the current one away") }
        }
    }

    @Test func rejectedCredentialsSaySoWithoutTheSecret() async throws {
        try await MarketHarness.with { harness in
            let (market, client) = (harness.server, harness.client)
            let provider = TokenProvider(credentials: .clientCredentials(id: "mock-client", secret: "hunter2", authURL: market.baseURL), client: client, timeout: .seconds(5))
            let error = try await #require(throws: CredentialsRejected.self) { try await provider.token() }
            #expect(!error.description.contains("hunter2"))
        }
    }

    /// The endpoint goes away mid-run: the shared refresh retries, then says so — once, for
    /// every caller, naming the endpoint and never the secret.
    @Test func anEndpointThatStaysDownEndsInTokenUnavailable() async throws {
        try await MarketHarness.with({ $0.tokenLifetime = 1 }) { harness in
            let (market, client) = (harness.server, harness.client)
            let provider = TokenProvider(credentials: .clientCredentials(id: "mock-client", secret: "mock-secret", authURL: market.baseURL), client: client,
                                         timeout: .seconds(10))
            try await provider.prime()
            await market.shutdown()
            try await Task.sleep(for: .seconds(1))
            let errors = await withTaskGroup(of: (any Error)?.self) { group in
                for _ in 0..<8 { group.addTask { do { _ = try await provider.token(); return nil } catch { return error } } }
                return await group.reduce(into: [any Error]()) { if let error = $1 { $0.append(error) } }
            }
            #expect(errors.count == 8)
            #expect(errors.allSatisfy { $0 is TokenUnavailable }, "\(errors)")
            #expect(errors.allSatisfy { "\($0)".contains("/auth/realms/Arkane/protocol/openid-connect/token") && !"\($0)".contains("mock-secret") })
        }
    }

    /// A 404 from the token URL: before the first token it is a wrong `--auth-url` and ends
    /// at once, in one request; at a later refresh it is a gateway's moment and is retried
    /// (session 4's first cut ended a run on it).
    @Test func a404EndsTheFirstTokenAndIsRetriedAtARefresh() async throws {
        try await MarketHarness.with({ $0.tokenFaultRate = 1; $0.tokenFaultStatus = 404 }) { harness in
            let provider = TokenProvider(credentials: .clientCredentials(id: "mock-client", secret: "mock-secret", authURL: harness.server.baseURL), client: harness.client, timeout: .seconds(10))
            let error = try await #require(throws: TokenUnavailable.self) { try await provider.prime() }
            #expect(error.description.contains("check --auth-url"), "\(error)")
            #expect(harness.server.stats()["requests"]?["token"]?.integer == 1, "no retry")
        }
        try await MarketHarness.with({ $0.tokenFaultRate = 0.3; $0.tokenFaultStatus = 404 }) { harness in
            let provider = TokenProvider(credentials: .clientCredentials(id: "mock-client", secret: "mock-secret", authURL: harness.server.baseURL), client: harness.client, timeout: .seconds(10))
            for _ in 0..<6 {
                await provider.invalidate(try await provider.token())
            }
            #expect(await provider.refreshCount == 6)
            #expect((harness.server.stats()["faults"]?["token-404"]?.integer ?? 0) >= 2, "refreshes met 404s")
        }
    }
}

@Suite struct RecordTests {
    @Test(arguments: [(Int64(0), "1970-01-01T00:00:00.000Z"), (1_764_061_200_123_456_789, "2025-11-25T09:00:00.123Z"),
                      (951_782_400_999_000_000, "2000-02-29T00:00:00.999Z")])
    func timestampsAreRFC3339UTC(nanoseconds: Int64, text: String) {
        #expect(Timestamp(nanoseconds: nanoseconds).rfc3339 == text)
    }

    @Test func fieldsCoverTheContract() {
        var record = CancelRecord(seq: 1, source: "-", line: 2, offerId: "x", outcome: .cancelled)
        record.latencyMs = 12.3456
        record.waitMs = 7.5
        record.confirmed = false
        for name in CancelRecord.fieldNames where !["httpStatus", "startedAt", "finishedAt", "offerStatus", "offerType", "price", "sellerAddress",
                                                     "nftId", "nftName", "nftAddress", "chain", "contractName", "errorCode", "errorMessage", "traceCode"].contains(name) {
            #expect(record.field(name) != nil, "\(name)")
        }
        #expect(record.field("latencyMs")?.text == "12.346")
        #expect(record.field("waitMs")?.text == "7.5")
        #expect(record.field("confirmed")?.text == "false")
        #expect(record.field("nope") == nil)
    }

    /// A record, `list`'s CSV and `--chain` read an offer's chain in the same places
    /// (`OfferFields`): the record once read `nft.chain` only, and left it empty for an offer
    /// whose chain is under `nft.contract`.
    @Test(arguments: [#"{"nft":{"chain":"MATIC","contract":{"chain":"BSC"}}}"#, #"{"nft":{"contract":{"chain":"MATIC","name":"C"}}}"#])
    func aRecordReadsTheChainWhereTheListDoes(offer: String) throws {
        let offer = try JSONValue.parse(offer)
        var record = CancelRecord(seq: 1, source: "-", line: 1, offerId: "x", outcome: .cancelled)
        record.fill(from: offer)
        #expect(record.chain == "MATIC")
        #expect(record.chain == OfferFields.chain(offer)?.string)
    }

    /// A log is read back through the table that wrote it (`CancelRecord.Logged`): every
    /// field comes back as written, so `--resume` and `report` can never miss a renamed one
    /// (they read literal keys before).
    @Test func everyFieldReadsBackAsWritten() throws {
        var record = CancelRecord(seq: 7, source: "ids.txt", line: 9, offerId: "7f5b3c1e-0000-4000-8000-000000000001", outcome: .notCancellable)
        record.httpStatus = 409
        record.attempts = 3
        record.latencyMs = 12.3456
        record.waitMs = 1000
        record.startedAt = Timestamp(nanoseconds: 1_764_061_200_123_000_000)
        record.finishedAt = Timestamp(nanoseconds: 1_764_061_201_456_000_000)
        record.offerStatus = "READY"
        record.offerType = "SALE"
        record.price = try JSONValue.parse(#"{"price":19.0110}"#)["price"]
        record.sellerAddress = "0xabc"
        record.nftId = "115792089237316195423570985008687907853269984665640564039457584007913129639935"
        record.nftName = "Sword \"of\" Ünïcode"
        record.nftAddress = "0xdef"
        record.chain = "MATIC"
        record.contractName = "C"
        record.errorCode = "offer.not-cancellable"
        record.errorMessage = "line one\nline two"
        record.traceCode = "t-1"
        record.confirmed = false
        #expect(CancelRecord.fields.count <= 64, "a Logged record holds one bit per field")
        for name in CancelRecord.fieldNames { #expect(record.field(name) != nil, "every field set: \(name)") }
        var buffer = JSONWriteBuffer()
        record.appendJSON(to: &buffer)
        let logged = try #require(CancelRecord.Logged(try JSONValue.parse(buffer.bytes)))
        #expect(CancelRecord.fieldNames.allSatisfy(logged.holds))
        for name in CancelRecord.fieldNames {
            #expect(logged.record.field(name)?.text == record.field(name)?.text, "\(name)")
        }
        #expect(logged.seq == 7 && logged.source == "ids.txt")
    }

    @Test(arguments: [#"{"outcome":"cancelled"}"#, #"{"offerId":"x","outcome":"gone"}"#, #"{"offerId":1,"outcome":"failed"}"#, "[]"])
    func aLineThatIsNotARecordIsNotRead(line: String) throws {
        #expect(CancelRecord.Logged(try JSONValue.parse(line)) == nil)
    }

    @Test func absentFieldsStayAbsent() throws {
        let logged = try #require(CancelRecord.Logged(try JSONValue.parse(#"{"offerId":"x","outcome":"failed","seq":"5","httpStatus":null}"#)))
        #expect(CancelRecord.fieldNames.filter(logged.holds) == ["offerId", "outcome"])
        #expect(logged.seq == nil && logged.source == nil && logged.record.httpStatus == nil)
    }

    @Test func outcomesClassify() {
        #expect(Outcome.allCases.filter(\.isOK) == [.cancelled, .alreadyClosed, .duplicate, .dryRun])
        #expect(Outcome.allCases.map(\.rawValue) == ["cancelled", "already_closed", "not_found", "forbidden", "not_cancellable", "failed",
                                                    "invalid_id", "duplicate", "skipped", "dry_run"])
    }
}

@Suite struct FailureProbeTests {
    static func record(_ outcome: Outcome, status: Int? = 404, code: String? = nil, attempts: Int = 1) -> CancelRecord {
        var record = CancelRecord(seq: 1, source: "-", line: 1, offerId: "x", outcome: outcome)
        record.httpStatus = status
        record.errorCode = code
        record.attempts = attempts
        return record
    }

    /// `(replies, window, trips at)`: the index of the record that stops the run, if any.
    @Test(arguments: [
        ([record(.failed)] + Array(repeating: record(.failed), count: 19), 20, 19 as Int?),
        (Array(repeating: record(.failed), count: 19) + [record(.cancelled, status: 200)] + Array(repeating: record(.failed), count: 19), 20, nil),
        (Array(repeating: record(.failed), count: 10) + Array(repeating: record(.failed, status: 403), count: 15), 20, nil),
        (Array(repeating: record(.forbidden, status: 403, code: "offer.not-owner"), count: 25), 20, 19),
        (Array(repeating: record(.notFound, code: "offer.not-found"), count: 5) + [record(.skipped, status: nil, attempts: 0)]
            + Array(repeating: record(.notFound, code: "offer.not-found"), count: 5), 10, 10),
        (Array(repeating: record(.failed), count: 50), 0, nil),
    ] as [([CancelRecord], Int, Int?)])
    func tripsOnAWindowOfTheSameFailure(records: [CancelRecord], window: Int, tripsAt: Int?) {
        var probe = FailureProbe(window: window)
        let trips = records.indices.filter { probe.observe(records[$0]) != nil }
        #expect(trips.first == tripsAt)
    }

    @Test func namesTheLikelyFix() {
        var probe = FailureProbe(window: 1)
        var record = Self.record(.failed)
        record.errorMessage = "HTTP 404 without the API's error envelope: check --base-url"
        #expect(probe.observe(record)?.contains("check --base-url") == true)
        var forbidden = FailureProbe(window: 1)
        #expect(forbidden.observe(Self.record(.forbidden, status: 403, code: "offer.not-owner"))?.contains("--retry-outcomes forbidden") == true)
    }
}

@Suite struct ResumeLogTests {
    @Test func retriedOutcomesAreNotSettledAndLocalItemsMatchBySeq() throws {
        let scratch = try Scratch()
        let ids = (1...3).map { String(format: "00000000-0000-4000-8000-%012d", $0) }
        let log = try scratch.file("log.ndjson", [
            #"{"seq":1,"source":"ids.txt","offerId":"\#(ids[0])","outcome":"cancelled"}"#,
            #"{"seq":2,"source":"ids.txt","offerId":"\#(ids[1])","outcome":"forbidden"}"#,
            #"{"seq":3,"source":"ids.txt","offerId":"junk","outcome":"invalid_id"}"#,
            #"{"seq":4,"source":"ids.txt","offerId":"\#(ids[0])","outcome":"duplicate"}"#,
            #"{"seq":5,"source":"ids.txt","offerId":"\#(ids[2])","outcome":"failed"}"#,
            #"{"seq":6,"source":"ids.txt","offerId":"\#(ids[2])","outc"#,
        ].joined(separator: "\n"))
        let validator = try IDValidator()
        let resume = try ResumeLog(path: log, validator: validator, retrying: [.forbidden])
        #expect(resume.records == 5 && resume.unreadableLines == 1)
        #expect(resume.settledOutcome(of: try validator.validate(ids[0]).get()) == .cancelled)
        #expect(resume.settledOutcome(of: try validator.validate(ids[1]).get()) == nil, "forbidden is retried")
        #expect(resume.settledOutcome(of: try validator.validate(ids[2]).get()) == nil, "failed is never settled")
        #expect(resume.matches(inputs: ["ids.txt", "more.txt"]) && !resume.matches(inputs: ["other.txt"]))
        #expect(resume.localOutcome(seq: 3) == .invalidID && resume.localOutcome(seq: 4) == .duplicate && resume.localOutcome(seq: 1) == nil)
    }

    /// A file of IDs is no log, nor a CSV file without an outcome column; a CSV record log is
    /// one, read as its NDJSON twin.
    @Test func aFileOfNoRecordsIsNotALogButACSVRecordLogIs() throws {
        let scratch = try Scratch()
        let id = "00000000-0000-4000-8000-000000000001"
        let validator = try IDValidator()
        let ids = try scratch.file("ids.txt", id + "\n")
        #expect(throws: InputError.self) { try ResumeLog(path: ids, validator: validator) }
        let noOutcome = try scratch.file("x.csv", "seq,offerId\n1,\(id)\n")
        #expect(throws: InputError.self) { try ResumeLog(path: noOutcome, validator: validator) }
        let csv = try scratch.file("log.csv", "seq,source,offerId,outcome\n1,ids.txt,\(id),cancelled\n2,ids.txt,junk,invalid_id\n3,ids.txt,\"cut")
        let resume = try ResumeLog(path: csv, validator: validator)
        #expect(resume.records == 2 && resume.unreadableLines == 1)
        #expect(resume.settledOutcome(of: try validator.validate(id).get()) == .cancelled)
        #expect(resume.localOutcome(seq: 2) == .invalidID && resume.matches(inputs: ["ids.txt"]))
    }

    /// A CSV cell is read as the number or `true`/`false` it spells when its field takes that
    /// type, else as text: an ID of digits stays text, an error message `true` stays text.
    @Test func aCSVRowIsReadByEachFieldsType() throws {
        let scratch = try Scratch()
        let csv = try scratch.file("log.csv", "offerId,outcome,httpStatus,confirmed,errorMessage,latencyMs,price,nftId\n12345,failed,200,true,true,1.5,39408,\n")
        let log = try RecordLogReader(input: try ByteInput(path: csv), path: csv, reading: .every)
        let record = try #require(try log.next()?.record).record
        #expect(record.offerId == "12345" && record.outcome == .failed && record.httpStatus == 200 && record.confirmed == true)
        #expect(record.errorMessage == "true" && record.latencyMs == 1.5 && record.price?.integer == 39408 && record.nftId == nil)
        #expect(try log.next() == nil)
    }
}

@Suite struct SecretTests {
    @Test func aSecretNeverShows() {
        let secret = Secret("tok-SECRET")
        var dumped = ""
        dump(secret, to: &dumped)
        var reply = MarketClient.Reply()
        reply.token = secret
        var replyDump = ""
        dump(reply, to: &replyDump)
        for text in ["\(secret)", String(reflecting: secret), dumped, "\(reply)", String(reflecting: reply), replyDump,
                     "\(Credentials.clientCredentials(id: "id", secret: secret, authURL: "https://x"))"] {
            #expect(!text.contains("tok-SECRET"), "\(text)")
        }
    }

    @Test(arguments: ["tok-SECRET\r", "tok SECRET", "tok\nSECRET", "\u{7F}tok", "tok\u{00A0}x", ""])
    func aSecretWithWhitespaceOrControlsIsAConfigurationError(value: String) {
        let error = #expect(throws: MarketClientError.self) { try Secret(validating: value, name: "ARKANE_TOKEN") }
        #expect(!"\(String(describing: error))".contains("SECRET"))
    }

    @Test func aRefusedHeaderValueIsCutOutOfTheError() {
        struct Refused: Error, CustomStringConvertible { var description: String { #"invalidHeaderFieldValues(["Bearer tok-SECRET"])"# } }
        #expect(!MarketClient.describe(Refused(), hiding: Secret("tok-SECRET")).contains("tok-SECRET"))
    }
}
