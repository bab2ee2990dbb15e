import JSONStream

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The offers record logs say were cancelled (`cancelled` or `already_closed`), each once, in
/// the order the logs first name them: what `offer-cancel verify` reads back.
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

    private let reader: NDJSONReader
    private let seen: Seen

    init(input: ByteInput, seen: Seen) {
        reader = NDJSONReader(input: input, maxLineLength: 16 * 1024 * 1024)
        self.seen = seen
    }

    func next() throws(InputError) -> RawItem? {
        while let item = try InputError.reading({ () throws(JSONError) in try reader.next() }) {
            guard let json = try? item.value.get(), let logged = CancelRecord.Logged(json, reading: CancelRecord.Selection()),
                  Self.outcomes.contains(logged.record.outcome), seen.offers.insert(logged.record.offerId).inserted else { continue }
            return RawItem(line: item.line, raw: logged.record.offerId)
        }
        return nil
    }
}

/// The same from a CSV record log (`--sink csv:…`): the `offerId` of each row whose `outcome`
/// says the offer was cancelled, each offer once across the run's logs. A row cut short or
/// otherwise unreadable is passed over, as a torn line of an NDJSON log is.
final class LoggedCancelsCSVDecoder: RawItemDecoder {
    private let rows: CSVDecoder
    private let seen: LoggedCancelsDecoder.Seen

    /// - Throws: `InputError` when the header lacks an `offerId` or an `outcome` column.
    init(input: ByteInput, source: String, seen: LoggedCancelsDecoder.Seen) throws(InputError) {
        rows = try CSVDecoder(input: input, source: source, idColumn: "offerId", maxRecordLength: 16 * 1024 * 1024)
        try rows.keepRows(where: "outcome", isOneOf: Set(LoggedCancelsDecoder.outcomes.map(\.rawValue)))
        self.seen = seen
    }

    func next() throws(InputError) -> RawItem? {
        while let item = try rows.next() {
            guard item.problem == nil, seen.offers.insert(item.raw).inserted else { continue }
            return item
        }
        return nil
    }
}

extension IDSource {
    /// The offers the record logs at `paths` say were cancelled, each once, as the items of
    /// one input per log: NDJSON (`LoggedCancelsDecoder`) or, by its extension or header as
    /// `--format auto` tells, CSV (`LoggedCancelsCSVDecoder`). Every log is opened now: one
    /// that cannot be read, or a CSV one without `offerId` and `outcome` columns, is an
    /// ``InputError`` before any request.
    public static func cancelled(inLogs paths: [String], options: IDSourceOptions) throws(InputError) -> IDSource {
        let seen = LoggedCancelsDecoder.Seen()
        var inputs: [(String, any RawItemDecoder, ByteInput?)] = []
        for path in paths {
            let input = try openInput(path, stdin: STDIN_FILENO)
            let decoder: any RawItemDecoder = try InputFormat.detect(path: path == "-" ? "" : path, input: input, idColumn: "offerId") == .csv
                ? LoggedCancelsCSVDecoder(input: input, source: path, seen: seen) : LoggedCancelsDecoder(input: input, seen: seen)
            inputs.append((path, decoder, input))
        }
        let matchBySeq = options.resume?.matches(inputs: paths) ?? false
        return IDSource(reader: InputReader(inputs: inputs, options: options, wake: try WakePipe(), matchBySeq: matchBySeq))
    }
}
