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

extension IDSource {
    /// The offers the record logs at `paths` say were cancelled, each once, as the items of
    /// one input per log (`LoggedCancelsDecoder`). Every log is opened now: one that cannot
    /// be read is an ``InputError`` before any request.
    public static func cancelled(inLogs paths: [String], options: IDSourceOptions) throws(InputError) -> IDSource {
        let seen = LoggedCancelsDecoder.Seen()
        var inputs: [(String, any RawItemDecoder, ByteInput?)] = []
        for path in paths {
            let input = try openInput(path, stdin: STDIN_FILENO)
            inputs.append((path, LoggedCancelsDecoder(input: input, seen: seen), input))
        }
        let matchBySeq = options.resume?.matches(inputs: paths) ?? false
        return IDSource(reader: InputReader(inputs: inputs, options: options, wake: try WakePipe(), matchBySeq: matchBySeq))
    }
}
