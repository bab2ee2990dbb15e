import JSONStream

/// The IDs an earlier run already settled, read from its NDJSON record log (`--resume`).
///
/// An ID is settled when the API gave a final answer for it: `cancelled`, `already_closed`,
/// `not_found`, `forbidden` or `not_cancellable`. IDs that `failed`, were `skipped`, or never
/// reached the log (in flight when the run died) are not settled, and are sent again.
public struct ResumeLog {
    /// Outcomes that need no second request.
    public static let settledOutcomes: Set<String> = ["cancelled", "already_closed", "not_found", "forbidden", "not_cancellable"]

    var settled = DedupeSet()
    /// Settled IDs found in the log.
    public private(set) var settledCount = 0
    /// Lines of the log that were not records (cut short, or not JSON).
    public private(set) var unreadableLines = 0

    /// Reads `path`; throws if it cannot be opened. IDs are judged by `validator`, as the
    /// inputs will be.
    public init(path: String, validator: IDValidator) throws(InputError) {
        let input = try InputError.reading { () throws(JSONError) in try ByteInput(path: path) }
        let reader = NDJSONReader(input: input, maxLineLength: 16 * 1024 * 1024)
        while let item = try InputError.reading({ () throws(JSONError) in try reader.next() }) {
            guard let record = try? item.value.get(), let outcome = record["outcome"]?.string, let offerID = record["offerId"]?.string else {
                unreadableLines += 1
                continue
            }
            guard Self.settledOutcomes.contains(outcome), case .success(let id) = validator.validate(offerID) else { continue }
            if settled.insert(id.key) { settledCount += 1 }
        }
    }

    func contains(_ id: OfferID) -> Bool { settled.contains(id.key) }
}
