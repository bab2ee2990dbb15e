/// One data item read from the inputs, in reading order, with what became of it.
public struct InputItem: Sendable {
    /// What the item is to the run.
    public enum Disposition: Sendable, Equatable {
        /// A valid ID seen for the first time: to be cancelled.
        case valid(OfferID)
        /// A valid ID seen earlier in this run: never sent.
        case duplicate(OfferID)
        /// Not an acceptable ID: never sent.
        case invalid(InvalidID)
    }

    /// 1-based position among all items of the run, across inputs.
    public var seq: Int
    /// The input's name as given (`-` for stdin).
    public var source: String
    /// 1-based line where the item starts in its input.
    public var line: Int
    /// The text as read (trimmed), or a bounded rendering of what stood there.
    public var raw: String
    public var disposition: Disposition

    /// The ID if the item is valid or a duplicate.
    public var offerID: OfferID? {
        switch disposition {
        case .valid(let id), .duplicate(let id): id
        case .invalid: nil
        }
    }
}
