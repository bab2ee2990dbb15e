import Dispatch
import JSONStream

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How inputs are read and IDs judged.
public struct IDSourceOptions {
    public var format: InputFormat = .auto
    /// `--id-column`: a CSV header name or 1-based column number.
    public var idColumn: String?
    /// `--id-field`: a dotted path in NDJSON/JSON objects.
    public var idField: String?
    public var validator: IDValidator
    /// Whether a repeated ID becomes `duplicate` (`--no-dedupe` turns it off).
    public var dedupe = true
    /// Longest line (or CSV record) held whole; longer ones become invalid items.
    public var maxLineLength = 64 * 1024
    /// `--resume`: IDs an earlier run settled. Items with these IDs are passed over: not
    /// sent, and no new record (the log has theirs).
    public var resume: ResumeLog?

    public init(validator: IDValidator) {
        self.validator = validator
    }
}

/// The IDs of a run: every data item of every input, in the order given, as an
/// `AsyncSequence` of ``InputItem``.
///
/// ``open(_:options:)`` opens every input up front (so a missing file or a CSV without its
/// ID column is reported before any request), then items are read incrementally, in
/// batches, on a dedicated queue so blocking reads never hold up Swift's cooperative pool.
/// Iterate it once.
public final class IDSource: AsyncSequence, Sendable {
    public typealias Element = InputItem

    private let reader: SerialReader

    private init(reader: SerialReader) {
        self.reader = reader
    }

    /// Opens `paths` (`-` is stdin; no paths means stdin) and prepares their decoders.
    public static func open(_ paths: [String], options: IDSourceOptions, stdin: Int32 = STDIN_FILENO) throws(InputError) -> IDSource {
        let paths = paths.isEmpty ? ["-"] : paths
        var inputs: [(String, any RawItemDecoder)] = []
        var usesStdin = false
        for path in paths {
            if path == "-" {
                if usesStdin { throw InputError("stdin ('-') is named more than once") }
                usesStdin = true
            }
            let input = try openInput(path, stdin: stdin)
            inputs.append((path, try decoder(for: input, path: path, options: options)))
        }
        return IDSource(reader: SerialReader(inputs: inputs, options: options))
    }

    private static func openInput(_ path: String, stdin: Int32) throws(InputError) -> ByteInput {
        if path == "-" { return ByteInput(fileDescriptor: stdin, closeOnDeinit: false) }
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw InputError("\(path): \(String(cString: strerror(errno)))")
        }
        if info.st_mode & S_IFMT == S_IFDIR { throw InputError("\(path): is a directory") }
        return try InputError.reading { () throws(JSONError) in try ByteInput(path: path) }
    }

    private static func decoder(for input: ByteInput, path: String, options: IDSourceOptions) throws(InputError) -> any RawItemDecoder {
        var format = options.format
        if format == .auto { format = try InputFormat.detect(path: path == "-" ? "" : path, input: input) }
        switch format {
        case .auto, .lines: return LinesDecoder(input: input, maxLineLength: options.maxLineLength)
        case .csv: return try CSVDecoder(input: input, source: path, idColumn: options.idColumn, maxRecordLength: options.maxLineLength)
        case .ndjson: return NDJSONItemDecoder(input: input, idField: options.idField, maxLineLength: options.maxLineLength)
        case .json: return JSONDocumentDecoder(input: input, idField: options.idField)
        }
    }

    /// Items passed over because ``IDSourceOptions/resume`` had settled their ID. Read it
    /// after iterating.
    public var resumedCount: Int { reader.resumedCount }

    public func makeAsyncIterator() -> Iterator {
        Iterator(reader: reader)
    }

    /// Hands out items one by one from batches read off the cooperative pool.
    public struct Iterator: AsyncIteratorProtocol {
        let reader: SerialReader
        var batch: [InputItem] = []
        var index = 0
        var finished = false

        public mutating func next() async throws -> InputItem? {
            if index == batch.count {
                guard !finished else { return nil }
                batch = try await reader.nextBatch()
                index = 0
                if batch.isEmpty {
                    finished = true
                    return nil
                }
            }
            defer { index += 1 }
            return batch[index]
        }
    }
}

/// The decoders and the dedupe set, read in batches on one serial queue.
///
/// `@unchecked Sendable` is sound here: every access to the mutable state happens inside a
/// block on `queue`, a serial queue, so no two threads ever touch it at once.
final class SerialReader: @unchecked Sendable {
    private let queue = DispatchQueue(label: "offer-cancel.input")
    private var inputs: [(name: String, decoder: any RawItemDecoder)]
    private let options: IDSourceOptions
    private var deduplicator = Deduplicator()
    private var seq = 0
    private var resumed = 0
    static let batchSize = 256

    init(inputs: [(String, any RawItemDecoder)], options: IDSourceOptions) {
        self.inputs = inputs.map { (name: $0.0, decoder: $0.1) }
        self.options = options
    }

    var resumedCount: Int { queue.sync { resumed } }

    /// Up to ``batchSize`` items; empty only when every input is exhausted.
    func nextBatch() async throws -> [InputItem] {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { () throws(InputError) in try self.readBatch() })
            }
        }
    }

    private func readBatch() throws(InputError) -> [InputItem] {
        var items: [InputItem] = []
        items.reserveCapacity(Self.batchSize)
        while items.count < Self.batchSize, let (name, decoder) = inputs.first {
            let raw: RawItem?
            do {
                raw = try decoder.next()
            } catch {
                // The input broke off mid-way (an I/O error): say so in a record, go on.
                raw = .invalid(line: 0, raw: "", "input could not be read further: \(error.message)")
                inputs.removeFirst()
                if let raw, let item = judge(raw, source: name) { items.append(item) }
                continue
            }
            guard let raw else {
                inputs.removeFirst()
                continue
            }
            if let item = judge(raw, source: name) { items.append(item) }
        }
        return items
    }

    /// The item `raw` stands for; `nil` when `--resume` says its ID is settled already.
    private func judge(_ raw: RawItem, source: String) -> InputItem? {
        seq += 1
        let disposition: InputItem.Disposition
        if let problem = raw.problem {
            disposition = .invalid(problem)
        } else {
            switch options.validator.validate(raw.raw) {
            case .failure(let invalid):
                disposition = .invalid(invalid)
            case .success(let id):
                if let resume = options.resume, resume.contains(id) {
                    resumed += 1
                    return nil
                }
                disposition = !options.dedupe || deduplicator.insert(id) ? .valid(id) : .duplicate(id)
            }
        }
        return InputItem(seq: seq, source: source, line: raw.line, raw: raw.raw, disposition: disposition)
    }
}
