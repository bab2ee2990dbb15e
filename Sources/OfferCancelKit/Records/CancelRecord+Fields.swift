import JSONStream

/// The shapes of ``CancelRecord/fields``: each writes a property and reads it back. (Closures,
/// not key paths: `value` runs for every field of every record written.)
extension CancelRecord.Field {
    typealias Get<T> = @Sendable (CancelRecord) -> T
    typealias Set<T> = @Sendable (inout CancelRecord, T) -> Void

    /// A field written by `value` and read back by `decode` (`nil`: not of the field's type)
    /// and `set`.
    static func field<T>(_ name: String, value: @escaping Get<CancelRecord.FieldValue?>,
                         decode: @escaping @Sendable (JSONValue) -> T?, set: @escaping Set<T>) -> Self {
        Self(name: name, value: value) { record, json in
            guard let decoded = decode(json) else { return false }
            set(&record, decoded)
            return true
        }
    }

    static func text(_ name: String, _ get: @escaping Get<String>, _ set: @escaping Set<String>) -> Self {
        field(name, value: { .text(get($0)) }, decode: { $0.string }, set: set)
    }

    static func text(_ name: String, _ get: @escaping Get<String?>, _ set: @escaping Set<String>) -> Self {
        field(name, value: { get($0).map(CancelRecord.FieldValue.text) }, decode: { $0.string }, set: set)
    }

    static func integer(_ name: String, _ get: @escaping Get<Int>, _ set: @escaping Set<Int>) -> Self {
        field(name, value: { .integer(get($0)) }, decode: { $0.integer.map { Int(clamping: $0) } }, set: set)
    }

    static func integer(_ name: String, _ get: @escaping Get<Int?>, _ set: @escaping Set<Int>) -> Self {
        field(name, value: { get($0).map(CancelRecord.FieldValue.integer) }, decode: { $0.integer.map { Int(clamping: $0) } }, set: set)
    }

    /// Milliseconds, written to the microsecond.
    static func milliseconds(_ name: String, _ get: @escaping Get<Double?>, _ set: @escaping Set<Double>) -> Self {
        field(name, value: { get($0).map { .number(CancelRecord.roundedMs($0)) } }, decode: { $0.number }, set: set)
    }

    /// RFC 3339 UTC with milliseconds.
    static func timestamp(_ name: String, _ get: @escaping Get<Timestamp?>, _ set: @escaping Set<Timestamp>) -> Self {
        field(name, value: { get($0).map { .text($0.rfc3339) } }, decode: { $0.string.flatMap(Timestamp.init(rfc3339:)) }, set: set)
    }
}

extension CancelRecord {
    /// A record read back from a record log (`--resume`, `report`) through ``fields``, the
    /// table that wrote it: a renamed field is renamed for both. Its record's properties read
    /// as its own (`logged.outcome`), but for ``seq`` and ``source``, which a line may lack.
    @dynamicMemberLookup
    public struct Logged: Sendable {
        /// The record; a field the line lacked, or that was not read, keeps its default
        /// (`nil`, or `0` and `""` for `seq`, `line`, `source` and `attempts`).
        public var record: CancelRecord
        /// Bit `i` set: the line held ``CancelRecord/fields``[i] with a value of its type.
        private let held: UInt64

        /// The record `json` holds, its fields in `selection` read; `nil` when the line is
        /// not a record (no `offerId` string or no known `outcome`).
        public init?(_ json: JSONValue, reading selection: Selection = .every) {
            var record = CancelRecord(seq: 0, source: "", line: 0, offerId: "", outcome: .failed)
            var held: UInt64 = 0
            for (index, field) in selection.fields {
                if let member = json[field.name], field.read(&record, member) { held |= 1 << index }
            }
            guard held & Selection.required == Selection.required else { return nil }
            self.record = record
            self.held = held
        }

        /// The record a CSV record log's row holds, its `cells` in the places `columns` give
        /// (``Selection/columns(in:)``): each cell read as the number or `true`/`false` it
        /// spells when the field takes that type, else as text; an empty cell is absent. `nil`
        /// when the row is not a record.
        init?(cells: [[UInt8]], columns: [Selection.Column]) {
            var record = CancelRecord(seq: 0, source: "", line: 0, offerId: "", outcome: .failed)
            var held: UInt64 = 0
            for column in columns where column.place < cells.count && !cells[column.place].isEmpty {
                let cell = cells[column.place]
                let scalar = (try? JSONValue.parse(cell)).flatMap { [.integer, .real, .bool].contains($0.kind) ? $0 : nil }
                if scalar.map({ column.field.read(&record, $0) }) == true || column.field.read(&record, .string(String(decoding: cell, as: UTF8.self))) {
                    held |= Selection.bit(column.index)
                }
            }
            guard held & Selection.required == Selection.required else { return nil }
            self.record = record
            self.held = held
        }

        /// `record` as a log line holding all of it would read (`seq` and `source` only when
        /// `holdsPlace`): records made in memory, for a report fed directly.
        public init(_ record: CancelRecord, holdsPlace: Bool = true) {
            self.record = record
            held = holdsPlace ? ~0 : ~(Selection.seq | Selection.source)
        }

        /// The record's property at `keyPath`: `logged.outcome` reads `logged.record.outcome`.
        public subscript<T>(dynamicMember keyPath: KeyPath<CancelRecord, T>) -> T {
            record[keyPath: keyPath]
        }

        /// The record's property at `keyPath`, to change.
        public subscript<T>(dynamicMember keyPath: WritableKeyPath<CancelRecord, T>) -> T {
            get { record[keyPath: keyPath] }
            set { record[keyPath: keyPath] = newValue }
        }

        /// Whether the line held the field `name` with a value of its type (a name that is no
        /// field stops the program, as in ``Selection``).
        public func holds(_ name: String) -> Bool {
            held & Selection.bit(of: name) != 0
        }

        /// The item's place among its input's items, when the line gives it.
        public var seq: Int? { held & Selection.seq != 0 ? record.seq : nil }
        /// The input the item came from, when the line names it.
        public var source: String? { held & Selection.source != 0 ? record.source : nil }
    }

    /// The fields a reader of a log needs (a line's other members are not read: a report of
    /// 300,000 records took 7.3 s reading a dozen, 10.4 s reading all 24, debug build).
    public struct Selection: Sendable {
        /// Each field with its place in ``CancelRecord/fields``.
        let fields: [(index: Int, field: Field)]

        /// `offerId` and `outcome`, which every selection reads, and the fields `names` (a
        /// name that is no field stops the program: a renamed field fails every test that
        /// reads a log, never silently).
        public init(_ names: String...) {
            let wanted = names.reduce(Self.required) { $0 | Self.bit(of: $1) }
            fields = CancelRecord.fields.enumerated().filter { wanted & Self.bit($0.offset) != 0 }.map { ($0.offset, $0.element) }
        }

        private init(every: Void) { fields = CancelRecord.fields.enumerated().map { ($0.offset, $0.element) } }

        /// A selected field and the place of its column in a CSV record log's rows.
        struct Column {
            let index: Int
            let field: Field
            let place: Int
        }

        /// The selected fields that `header` (a CSV record log's) names, with their places.
        func columns(in header: [String]) -> [Column] {
            fields.compactMap { index, field in header.firstIndex(of: field.name).map { Column(index: index, field: field, place: $0) } }
        }

        /// Every field.
        public static let every = Selection(every: ())

        static func bit(_ index: Int) -> UInt64 { 1 << index }
        static func bit(of name: String) -> UInt64 {
            guard let index = CancelRecord.fieldNames.firstIndex(of: name) else { preconditionFailure("\(name) is not a record field") }
            return bit(index)
        }
        static let required = bit(of: "offerId") | bit(of: "outcome")
        static let seq = bit(of: "seq")
        static let source = bit(of: "source")
    }
}
