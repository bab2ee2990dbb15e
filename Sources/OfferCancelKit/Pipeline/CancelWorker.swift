import JSONStream
import Synchronization

/// What a run does to each valid ID (besides the concurrency, which the pipeline owns).
public struct CancelSettings: Sendable {
    public var retry = RetryPolicy()
    /// `--rate`: requests per second across the run; `nil` for no limit.
    public var ratePerSecond: Double?
    public var dryRun = false
    /// `--confirm`: poll `GET /offers/{id}` after an accepted cancel until CLOSED.
    public var confirm = false
    public var confirmTimeout: Duration = .seconds(30)

    public init() {}
}

/// Set once when the run must stop sending (credentials rejected, too many failures, every
/// sink gone); read by every task.
public final class AbortFlag: Sendable {
    private let reason = Mutex<String?>(nil)

    public init() {}

    /// Records the first reason; later ones are ignored.
    public func abort(_ why: String) {
        reason.withLock { if $0 == nil { $0 = why } }
    }

    public var abortReason: String? { reason.withLock { $0 } }
}

/// Cancels one ID: rate limit, request, classification, retries, token refresh, and the
/// optional confirmation poll. Safe to call from many tasks at once.
struct CancelWorker: Sendable {
    let client: MarketClient
    let limiter: RateLimiter?
    let settings: CancelSettings
    let abort: AbortFlag

    func process(_ item: InputItem, id: OfferID) async -> CancelRecord {
        var record = CancelRecord(seq: item.seq, source: item.source, line: item.line, offerId: id.text, outcome: .failed)
        record.startedAt = .now()
        let clock = ContinuousClock()
        let started = clock.now
        var refreshedAfter401 = false
        var attempt = 0
        while true {
            if let reason = abort.abortReason, record.attempts == 0 {
                record.outcome = .skipped
                record.errorMessage = "not sent: \(reason)"
                break
            }
            attempt += 1
            try? await limiter?.acquire()
            let reply = await client.send(.cancel(id))
            if reply.credentialsRejected {
                // Nothing was sent this time: skipped if nothing was sent at all, else failed.
                let message = reply.transportError ?? "credentials rejected"
                abort.abort(message)
                record.outcome = record.attempts == 0 ? .skipped : .failed
                record.errorMessage = record.attempts == 0 ? "not sent: \(message)" : message
                break
            }
            record.attempts = attempt
            record.httpStatus = reply.status
            if reply.status == 401 {
                if await client.tokens.canRefresh, !refreshedAfter401, let token = reply.token {
                    refreshedAfter401 = true
                    await client.tokens.invalidate(token)
                    continue
                }
                let verdict = ReplyClassifier.classify(reply)
                record.outcome = .failed
                record.errorCode = verdict.errorCode
                record.traceCode = verdict.traceCode
                record.errorMessage = "credentials rejected (HTTP 401)" + (verdict.errorMessage.map { ": \($0)" } ?? "")
                abort.abort("credentials rejected: the API answered 401 Unauthorized")
                break
            }
            let verdict = ReplyClassifier.classify(reply)
            record.errorCode = verdict.errorCode
            record.errorMessage = verdict.errorMessage
            record.traceCode = verdict.traceCode
            if let outcome = verdict.outcome {
                record.outcome = outcome
                if outcome == .cancelled { record.errorMessage = nil }
                if let offer = verdict.offer { record.fill(from: offer) }
                break
            }
            guard let delay = settings.retry.delay(after: attempt, retryAfter: reply.retryAfter, unit: Double.random(in: 0..<1)) else {
                record.outcome = .failed
                record.errorMessage = "gave up after \(attempt) attempts: " + (verdict.errorMessage ?? "no usable reply")
                break
            }
            try? await Task.sleep(for: delay)
        }
        if settings.confirm, record.outcome == .cancelled {
            await confirm(id, into: &record)
        }
        record.finishedAt = .now()
        if record.attempts > 0 {
            record.latencyMs = Double((clock.now - started).nanoseconds) / 1e6
        }
        return record
    }

    /// Polls the offer with backoff until it is CLOSED or the confirm timeout passes.
    private func confirm(_ id: OfferID, into record: inout CancelRecord) async {
        let deadline = ContinuousClock.now + settings.confirmTimeout
        var wait = Duration.milliseconds(100)
        record.confirmed = false
        while ContinuousClock.now < deadline {
            try? await Task.sleep(for: min(wait, deadline - ContinuousClock.now))
            wait = min(wait * 2, .seconds(2))
            try? await limiter?.acquire()
            let reply = await client.send(.offer(id))
            if let status = reply.body?["result"]?["status"]?.string {
                record.offerStatus = status
                if status == "CLOSED" {
                    record.confirmed = true
                    return
                }
            }
        }
    }
}

extension CancelRecord {
    /// Copies the offer's fields from a reply's `result` object.
    mutating func fill(from offer: JSONValue) {
        self.offer = offer
        offerStatus = offer["status"]?.string
        offerType = offer["type"]?.string
        price = offer["price"].flatMap { $0.kind == .integer || $0.kind == .real || $0.kind == .string ? $0 : nil }
        sellerAddress = offer["sellerAddress"]?.string
        if let nft = offer["nft"] {
            nftId = nft["id"]?.scalarText
            nftName = nft["name"]?.string
            nftAddress = nft["address"]?.string
            chain = nft["chain"]?.string
            contractName = nft["contract"]?["name"]?.string
        }
    }
}
