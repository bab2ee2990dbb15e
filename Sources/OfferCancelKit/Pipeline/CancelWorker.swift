import JSONStream

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

/// Cancels one ID: a permit from the run's ``Governor``, request, classification, retries,
/// token refresh. Safe to call from many tasks at once. (`--confirm` is the
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

    func process(_ item: InputItem, id: OfferID) async -> CancelRecord {
        var record = CancelRecord(seq: item.seq, source: item.source, line: item.line, offerId: id.text, outcome: .failed)
        record.startedAt = .now()
        let clock = ContinuousClock()
        var waited = Duration.zero
        var lastAttempt: Duration?
        var refreshedAfter401 = false
        var attempt = 0
        /// Throttled attempts not counted against `--max-attempts`.
        var paced = 0
        // An attempt that got no answer, or a 5xx, may have been applied all the same.
        var mayHaveApplied = false
        while true {
            guard !control.isHalted, let permit = await governor.acquire(control, firstAttempt: attempt == 0) else {
                halted(&record)
                break
            }
            waited += permit.waited
            attempt += 1
            let sentAt = clock.now
            let method = cancelMethod.current
            let reply = await client.send(.cancel(id), method: method)
            var retry = Governor.Retry.ownBackoff
            if reply.cannotSend {
                governor.giveBack(permit)
            } else {
                lastAttempt = clock.now - sentAt
                retry = governor.release(permit, FlowSignal(reply, latency: clock.now - sentAt))
            }
            if Task.isCancelled {
                record.attempts = attempt
                record.outcome = .failed
                record.httpStatus = reply.status
                record.errorMessage = "interrupted after the grace period with the request in flight: the cancel may or may not have been applied (--resume sends it again)"
                break
            }
            if reply.cannotSend {
                // Nothing was sent this time: skipped if nothing was sent at all, else failed.
                let message = reply.transportError ?? "no token"
                control.abort(message)
                record.outcome = record.attempts == 0 ? .skipped : .failed
                record.errorMessage = record.attempts == 0 ? "not sent: \(message)" : message
                break
            }
            record.attempts = attempt
            record.httpStatus = reply.status
            if silence.observe(answered: reply.status != nil) {
                control.abort("no reply to \(silence.window) requests in a row (the last: \(reply.transportError ?? reply.bodyError ?? "no reply")): is \(client.baseURL) the API, and is it up? (--probe 0 turns this check off)")
            }
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
                control.abort("credentials rejected: the API answered 401 Unauthorized")
                break
            }
            if reply.status == 405 {
                // A 405 was not applied: under `auto` the item goes again by POST at once.
                switch cancelMethod.refused(method) {
                case .switched:
                    settings.notice("the server refused GET for cancel (HTTP 405): sending every cancel by POST from now on (--cancel-method POST skips this)")
                    continue
                case .sendAgain:
                    continue
                case .final:
                    let verdict = ReplyClassifier.classify(reply)
                    record.outcome = .failed
                    record.errorCode = verdict.errorCode
                    record.traceCode = verdict.traceCode
                    record.errorMessage = cancelMethod.finalRefusal(method)
                }
                break
            }
            let verdict = ReplyClassifier.classify(reply)
            record.errorCode = verdict.errorCode
            record.errorMessage = verdict.errorMessage
            record.traceCode = verdict.traceCode
            if reply.transportError != nil || (reply.status == 200 && reply.bodyError != nil) || reply.status.map({ $0 >= 500 }) ?? true {
                mayHaveApplied = true
            }
            if let outcome = verdict.outcome {
                record.outcome = outcome
                if outcome == .cancelled { record.errorMessage = nil }
                if let offer = verdict.offer { record.fill(from: offer) }
                break
            }
            // A 429/503 the governor took as the server's pace (not its failure) is not the
            // item's fault: up to twice --max-attempts of them are not counted against it.
            if retry != .ownBackoff, paced < 2 * settings.retry.maxAttempts { paced += 1 }
            guard let delay = retryDelay(after: max(1, attempt - paced), reply: reply, retry: retry) else {
                record.outcome = .failed
                record.errorMessage = "gave up after \(attempt) attempts: " + (verdict.errorMessage ?? "no usable reply")
                break
            }
            guard retry != .ownBackoff || governor.mayRetry() else {
                record.outcome = .failed
                record.errorMessage = "retry budget exhausted after \(attempt) attempts (the server keeps failing; retries would only add load): " + (verdict.errorMessage ?? "no usable reply")
                break
            }
            let backoffStarted = clock.now
            let slept = await control.sleep(for: delay)
            waited += clock.now - backoffStarted
            guard slept else {
                halted(&record)
                break
            }
        }
        if record.outcome == .failed, mayHaveApplied, !Task.isCancelled {
            await checkWhetherApplied(id, record: &record)
        }
        record.finishedAt = .now()
        if record.attempts > 0 {
            record.latencyMs = lastAttempt.map { Double($0.nanoseconds) / 1e6 }
            record.waitMs = Double(waited.nanoseconds) / 1e6
        }
        return record
    }

    /// The wait before the next attempt, `nil` when none is left. A reply of a congestion
    /// episode is not waited out here: the run-wide pause does that in ``Governor/acquire``.
    private func retryDelay(after attempt: Int, reply: MarketClient.Reply, retry: Governor.Retry) -> Duration? {
        guard let delay = settings.retry.delay(after: attempt, retryAfter: reply.retryAfter, unit: Double.random(in: 0..<1)) else { return nil }
        return retry == .afterPause ? .zero : delay
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
            let retry = governor.release(permit, FlowSignal(reply, latency: .now - sentAt))
            if reply.status == 200, reply.body?["success"]?.bool == true, let result = reply.body?["result"] {
                offer = result
                break
            }
            if let status = reply.status, !RetryPolicy.isRetryable(status: status), status != 200 { return }
            guard let delay = retryDelay(after: attempt, reply: reply, retry: retry), await control.sleep(for: delay) else { return }
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
