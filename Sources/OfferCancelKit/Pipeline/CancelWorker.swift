import JSONStream
import NIOHTTP1

/// What a run does to each valid ID (besides the concurrency, which the pipeline owns).
public struct CancelSettings: Sendable {
    public var retry = RetryPolicy()
    /// Flow control: `-c`, `--rate`, `--fixed-concurrency`.
    public var flow = Governor.Settings()
    /// `--confirm`: poll `GET /offers/{id}` after an accepted cancel until CLOSED.
    public var confirm = false
    public var confirmTimeout: Duration = .seconds(30)
    /// `--confirm-concurrency`: confirmation polls in flight at most.
    public var confirmConcurrency = 4
    /// `--cancel-method`: GET, POST, or GET until a 405.
    public var cancelMethod = CancelMethodPolicy.auto
    /// Tells the user something the run decided on its own (the switch to POST), as it happens.
    public var notice: @Sendable (String) -> Void = { _ in }

    public init() {}
}

/// Cancels one ID (or, under `verify`, reads its offer): a permit from the run's
/// ``Governor``, request, classification, retries, token refresh. Safe to call from many tasks at once. (`--confirm` is the
/// ``ConfirmationStage``'s.)
///
/// Nothing new starts once the run halts (``RunControl``): no first attempt, retry or
/// backoff — waits end at once. A request already on the wire finishes, unless
/// the task is cancelled (the grace period is over): then the record says the cancel may or
/// may not have been applied.
struct CancelWorker: Sendable {
    let client: MarketClient
    let governor: Governor
    let settings: CancelSettings
    let control: RunControl
    let cancelMethod: CancelMethod
    let silence: SilenceProbe
    /// Reads the offer (`GET /offers/{id}`) instead of cancelling it, and records whether it
    /// is CLOSED (``CancelRecord/judgeRead()``): `offer-cancel verify`.
    var verifies = false

    func process(_ item: InputItem, id: OfferID) async -> CancelRecord {
        var attempts = ItemAttempts(CancelRecord(seq: item.seq, source: item.source, line: item.line, offerId: id.text, outcome: .failed))
        sending: while true {
            guard !control.isHalted, let permit = await governor.acquire(control, firstAttempt: attempts.sent == 0) else {
                halted(&attempts.record)
                break
            }
            attempts.waited += permit.waited
            switch await attempt(id, permit: permit, &attempts) {
            case .sendAgain:
                continue
            case .done:
                break sending
            case .wait(let delay):
                let started = ContinuousClock.now
                let slept = await control.sleep(for: delay)
                attempts.waited += .now - started
                guard slept else {
                    halted(&attempts.record)
                    break sending
                }
            }
        }
        if verifies {
            attempts.record.judgeRead()
        } else if attempts.record.outcome == .failed, attempts.mayHaveApplied, !Task.isCancelled {
            await checkWhetherApplied(id, record: &attempts.record)
        }
        return attempts.finished()
    }

    /// One item's attempts so far, and the record they are making.
    private struct ItemAttempts {
        var record: CancelRecord
        /// Requests sent.
        var sent = 0
        /// Throttled attempts not counted against `--max-attempts`.
        var paced = 0
        var waited = Duration.zero
        var lastLatency: Duration?
        var refreshedAfter401 = false
        /// Whether an attempt that got no answer, or a 5xx, may have been applied all the same.
        var mayHaveApplied = false

        init(_ record: CancelRecord) {
            self.record = record
            self.record.startedAt = .now()
        }

        /// The attempts counted against `--max-attempts`.
        var counted: Int { max(1, sent - paced) }

        func finished() -> CancelRecord {
            var record = record
            record.finishedAt = .now()
            if record.attempts > 0 {
                record.latencyMs = lastLatency.map { Double($0.nanoseconds) / 1e6 }
                record.waitMs = Double(waited.nanoseconds) / 1e6
            }
            return record
        }
    }

    /// What the item does after one attempt.
    private enum Next {
        case sendAgain
        case wait(Duration)
        case done
    }

    /// Sends the cancel under `permit` and reads its reply into `attempts`.
    private func attempt(_ id: OfferID, permit: Governor.Permit, _ attempts: inout ItemAttempts) async -> Next {
        attempts.sent += 1
        let sentAt = ContinuousClock.now
        let method = verifies ? .GET : cancelMethod.current
        let reply = verifies ? await client.send(.offer(id)) : await client.send(.cancel(id), method: method)
        let verdict = ReplyClassifier.classify(reply, latency: .now - sentAt)
        var retry = Governor.Retry.ownBackoff
        if reply.cannotSend {
            governor.giveBack(permit)
        } else {
            attempts.lastLatency = .now - sentAt
            retry = governor.release(permit, verdict.signal, sentAmid: reply.sentAmid)
        }
        if Task.isCancelled {
            attempts.record.attempts = attempts.sent
            attempts.record.outcome = .failed
            attempts.record.httpStatus = reply.status
            attempts.record.errorMessage = verifies ? "interrupted after the grace period with the read in flight (--resume reads it again)"
                : "interrupted after the grace period with the request in flight: the cancel may or may not have been applied (--resume sends it again)"
            return .done
        }
        if reply.cannotSend {
            // Nothing was sent this time: skipped if nothing was sent at all, else failed.
            let message = reply.transportError ?? "no token"
            control.abort(message)
            attempts.record.outcome = attempts.record.attempts == 0 ? .skipped : .failed
            attempts.record.errorMessage = attempts.record.attempts == 0 ? "not sent: \(message)" : message
            return .done
        }
        attempts.record.attempts = attempts.sent
        attempts.record.httpStatus = reply.status
        if silence.observe(answered: reply.status != nil) {
            control.abort("no reply to \(silence.window) requests in a row (the last: \(reply.transportError ?? reply.bodyError ?? "no reply")): is \(client.baseURL) the API, and is it up? (--probe 0 turns this check off)")
        }
        switch reply.status {
        case 401?: return await unauthorized(reply, verdict, &attempts)
        case 405? where !verifies: return refused(method, verdict, &attempts.record)
        default: return settle(verdict, retry: retry, &attempts)
        }
    }

    /// A 401: the token is refreshed and the item sent again, once; then the run stops.
    private func unauthorized(_ reply: MarketClient.Reply, _ verdict: ReplyClassifier.Verdict, _ attempts: inout ItemAttempts) async -> Next {
        if await client.tokens.canRefresh, !attempts.refreshedAfter401, let token = reply.token {
            attempts.refreshedAfter401 = true
            await client.tokens.invalidate(token)
            return .sendAgain
        }
        attempts.record.outcome = .failed
        attempts.record.errorCode = verdict.errorCode
        attempts.record.traceCode = verdict.traceCode
        attempts.record.errorMessage = "credentials rejected (HTTP 401)" + (verdict.errorMessage.map { ": \($0)" } ?? "")
        control.abort("credentials rejected: the API answered 401 Unauthorized")
        return .done
    }

    /// A 405 was not applied: under `auto` the item goes again by POST at once.
    private func refused(_ method: HTTPMethod, _ verdict: ReplyClassifier.Verdict, _ record: inout CancelRecord) -> Next {
        switch cancelMethod.refused(method) {
        case .switched:
            settings.notice("the server refused GET for cancel (HTTP 405): sending every cancel by POST from now on (--cancel-method POST skips this)")
            return .sendAgain
        case .sendAgain:
            return .sendAgain
        case .final:
            record.outcome = .failed
            record.errorCode = verdict.errorCode
            record.traceCode = verdict.traceCode
            record.errorMessage = cancelMethod.finalRefusal(method)
            return .done
        }
    }

    /// Any other reply: its outcome if final, else a retry as the governor said — after its own
    /// backoff, or at once behind the run's pause — while attempts and the retry budget last.
    private func settle(_ verdict: ReplyClassifier.Verdict, retry: Governor.Retry, _ attempts: inout ItemAttempts) -> Next {
        attempts.record.errorCode = verdict.errorCode
        attempts.record.errorMessage = verdict.errorMessage
        attempts.record.traceCode = verdict.traceCode
        attempts.mayHaveApplied = attempts.mayHaveApplied || verdict.mayHaveApplied
        if let outcome = verdict.outcome {
            attempts.record.outcome = outcome
            if let offer = verdict.result { attempts.record.fill(from: offer) }
            return .done
        }
        // Up to twice --max-attempts of the server's pace are not counted against the attempts.
        if !retry.countsAsAttempt, attempts.paced < 2 * settings.retry.maxAttempts { attempts.paced += 1 }
        let reason = verdict.errorMessage ?? "no usable reply"
        guard let delay = settings.retry.delay(after: attempts.counted, retryAfter: verdict.retryAfter, unit: .random(in: 0..<1)) else {
            attempts.record.errorMessage = "gave up after \(attempts.sent) attempts: " + reason
            return .done
        }
        guard governor.mayRetry(retry) else {
            attempts.record.errorMessage = "retry budget exhausted after \(attempts.sent) attempts (the server keeps failing; retries would only add load): " + reason
            return .done
        }
        return retry == .afterPause ? .sendAgain : .wait(delay)
    }

    /// After a failure that followed a lost reply or a 5xx, asks the offer itself: if it is
    /// closed, an earlier attempt was applied and its reply lost — the truth is
    /// `already_closed`, not `failed`. One `GET /offers/{id}`, only on this rare path.
    private func checkWhetherApplied(_ id: OfferID, record: inout CancelRecord) async {
        var offer: JSONValue?
        for attempt in 1...settings.retry.maxAttempts {
            guard let permit = await governor.acquire(control, firstAttempt: attempt == 1) else { return }
            let sentAt = ContinuousClock.now
            let reply = await client.send(.offer(id))
            let verdict = ReplyClassifier.classify(reply, latency: .now - sentAt)
            let retry = governor.release(permit, verdict.signal, sentAmid: reply.sentAmid)
            if verdict.outcome == .cancelled, let result = verdict.result {
                offer = result
                break
            }
            // A 200 without the offer (`"success": false`) says nothing of it: ask again. Only
            // another final answer (a 4xx) ends the check.
            guard verdict.isRetryable || reply.status == 200, let delay = settings.retry.delay(after: attempt, retryAfter: verdict.retryAfter, unit: .random(in: 0..<1)),
                  governor.mayRetry(retry), await control.sleep(for: retry == .afterPause ? .zero : delay) else { return }
        }
        guard let offer, let status = OfferFields.status(offer)?.string, status == "CLOSED" || status == "CLOSING_OFFER" else { return }
        record.outcome = .alreadyClosed
        record.fill(from: offer)
        record.errorMessage = "the offer is \(status): an earlier attempt was applied though its reply was lost (\(record.errorMessage ?? "no reply"))"
    }

    /// Ends `record` because the run halted before its next attempt.
    private func halted(_ record: inout CancelRecord) {
        let reason = control.abortReason ?? "the run was interrupted"
        if record.attempts == 0 {
            record.outcome = .skipped
            record.errorMessage = "not sent: \(reason)"
        } else {
            record.outcome = .failed
            record.errorMessage = "not retried after \(record.attempts) attempts (\(reason))" + (record.errorMessage.map { ": \($0)" } ?? "")
        }
    }
}
