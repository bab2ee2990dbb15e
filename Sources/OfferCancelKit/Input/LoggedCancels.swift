import JSONStream

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The offers a record log (NDJSON or CSV, ``RecordLogReader``) says were cancelled
/// (`cancelled` or `already_closed`), each once across a run's logs, in the order the logs first
/// name them: what `offer-cancel verify` reads back.
///
/// An item's place is its record's line in its log. Lines that are not records (a torn
/// last line, a note) and records of other outcomes are passed over: they name no cancel.
final class LoggedCancelsDecoder: RawItemDecoder {
    /// The outcomes that say an offer was cancelled, now or by an earlier request.
    static let outcomes: Set<Outcome> = [.cancelled, .alreadyClosed]

    /// Offers already handed out, shared by the decoders of one run's logs: an offer a
    /// resumed run recorded again is verified once.
    final class Seen {
        var offers = Set<String>()
    }

    private let log: RecordLogReader
    private let seen: Seen

    init(log: RecordLogReader, seen: Seen) {
        self.log = log
        self.seen = seen
    }

    func next() throws(InputError) -> RawItem? {
        while let entry = try log.next() {
            guard let record = entry.record?.record, Self.outcomes.contains(record.outcome), seen.offers.insert(record.offerId).inserted else { continue }
            return RawItem(line: entry.line, raw: record.offerId)
        }
        return nil
    }
}

extension IDSource {
    /// The offers the record logs at `paths` say were cancelled, each once, as the items of
    /// one input per log (`LoggedCancelsDecoder`). Every log is opened now: one that cannot be
    /// read, or a CSV one without `offerId` and `outcome` columns, is an ``InputError`` before
    /// any request.
    public static func cancelled(inLogs paths: [String], options: IDSourceOptions) throws(InputError) -> IDSource {
        let seen = LoggedCancelsDecoder.Seen()
        var inputs: [(String, any RawItemDecoder, ByteInput?)] = []
        for path in paths {
            let input = try openInput(path, stdin: STDIN_FILENO)
            let log = try RecordLogReader(input: input, path: path, reading: CancelRecord.Selection())
            inputs.append((path, LoggedCancelsDecoder(log: log, seen: seen), input))
        }
        let matchBySeq = options.resume?.matches(inputs: paths) ?? false
        return IDSource(reader: InputReader(inputs: inputs, options: options, wake: try WakePipe(), matchBySeq: matchBySeq))
    }
}
