import JSONStream

/// What an earlier run already settled, read from its record log, NDJSON or CSV
/// (`--resume`, ``RecordLogReader``).
///
/// An ID is settled by a record that ``Outcome/settles(confirmed:)``: the API gave a final
/// answer for it — `cancelled`, `already_closed`, `not_found`, `forbidden` or
/// `not_cancellable`, less the outcomes named to be retried (`--retry-outcomes`) — and, under
/// `--confirm`, the offer was seen CLOSED. IDs that `failed`, were `skipped`, were cancelled but
/// not seen CLOSED in time, or never reached the log (in flight when the run died) are not
/// settled, and are sent again.
///
/// When the run reads the same inputs as the logged one (every source in the log is one of
/// its inputs), items are also matched by `seq`, so the `invalid_id` and `duplicate` items
/// the log holds are not recorded a second time.
public struct ResumeLog {
    /// Outcomes that need no second request, unless the user asks for one.
    public static let settledOutcomes = Outcome.allCases.filter(\.isFinalAnswer)

    /// What a resumed run needs of each record.
    private static let fieldsRead = CancelRecord.Selection("seq", "source", "confirmed")

    /// Settled IDs, one set per outcome (in ``settledOutcomes`` order, less those retried).
    private var settled: [(outcome: Outcome, ids: DedupeSet)]
    /// `seq` of each `invalid_id` and `duplicate` record, with its outcome.
    private var localSeqs: [Int: Outcome] = [:]
    /// Sources named by the log's records.
    public private(set) var sources: Set<String> = []
    /// Records read.
    public private(set) var records = 0
    /// Lines of the log that were not records (cut short, or not JSON).
    public private(set) var unreadableLines = 0

    /// Reads `path`. IDs are judged by `validator`, as the inputs will be; IDs with an outcome
    /// in `retrying` are not settled.
    /// - Throws: ``InputError`` when the file cannot be read or holds no record.
    public init(path: String, validator: IDValidator, retrying: Set<Outcome> = []) throws(InputError) {
        settled = Self.settledOutcomes.filter { !retrying.contains($0) }.map { ($0, DedupeSet()) }
        let input = try InputError.reading { () throws(JSONError) in try ByteInput(path: path) }
        let log: RecordLogReader
        do { log = try RecordLogReader(input: input, path: path, reading: Self.fieldsRead) } catch { throw InputError("--resume \(error)") }
        while let entry = try log.next() {
            guard let logged = entry.record else {
                unreadableLines += 1
                continue
            }
            records += 1
            let outcome = logged.record.outcome
            if let source = logged.source { sources.insert(source) }
            if outcome == .invalidID || outcome == .duplicate, let seq = logged.seq { localSeqs[seq] = outcome }
            guard outcome.settles(confirmed: logged.record.confirmed), let index = settled.firstIndex(where: { $0.outcome == outcome }),
                  case .success(let id) = validator.validate(logged.record.offerId) else { continue }
            _ = settled[index].ids.insert(id)
        }
        guard records > 0 else {
            throw InputError("--resume \(path): no readable record in it (\(unreadableLines) lines): not a record log written by --sink ndjson:… or csv:…")
        }
    }

    /// The outcome that settled `id`, if the log settled it.
    func settledOutcome(of id: OfferID) -> Outcome? {
        settled.first { $0.ids.contains(id.key) }?.outcome
    }

    /// Whether a run reading `inputs` reads the logged run's inputs, so its items can be
    /// matched by `seq`.
    func matches(inputs: [String]) -> Bool {
        sources.isSubset(of: inputs.isEmpty ? ["-"] : inputs)
    }

    /// The outcome the log recorded for the local item `seq` (`invalid_id`, `duplicate`).
    func localOutcome(seq: Int) -> Outcome? {
        localSeqs[seq]
    }
}
