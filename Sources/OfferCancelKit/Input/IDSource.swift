import Foundation
import JSONStream
import NIOConcurrencyHelpers
import Synchronization

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
    /// `--no-header`: CSV inputs have no header row; every row is an item.
    public var noHeader = false
    /// `--id-field`: a dotted path in NDJSON/JSON objects.
    public var idField: String?
    public var validator: IDValidator
    /// Whether a repeated ID becomes `duplicate` (`--no-dedupe` turns it off).
    public var dedupe = true
    /// Longest line (or CSV record) held whole; longer ones become invalid items.
    public var maxLineLength = 64 * 1024
    /// `--resume`: what an earlier run settled. Items with these IDs (or, reading the same
    /// inputs, the same `seq` as a logged `invalid_id` or `duplicate`) are passed over: not
    /// sent, and no new record (the log has theirs).
    public var resume: ResumeLog?
    /// `--shard K/N`: only items of this shard are handed out; the others are passed over.
    public var shard: Shard?

    public init(validator: IDValidator) {
        self.validator = validator
    }
}

/// The IDs of a run: every data item of every input, in the order given, as an
/// `AsyncSequence` of ``InputItem``.
///
/// ``open(_:options:stdin:)`` opens every input up front (so a missing file or a CSV without
/// its ID column is reported before any request). Items are then read on a thread of the
/// source's own — blocking `read(2)` never runs on Swift's cooperative pool — and each item
/// is handed over the moment it is complete, so an ID typed on a terminal or written to a
/// pipe reaches the run at once while a file is read ahead (at most 1,024 items).
/// ``stop()`` ends reading at once, even a read waiting on a pipe. Iterate it once.
public final class IDSource: AsyncSequence, Sendable {
    public typealias Element = InputItem

    private let reader: InputReader
    /// What the person running the tool should know about how the inputs are read (a CSV
    /// file found to have no header), one line each; known once ``open(_:options:stdin:)``
    /// returns.
    public let notes: [String]
    private let queue = ItemQueue(capacity: 1024)
    private let started = Atomic(false)

    init(reader: InputReader, notes: [String] = []) {
        self.reader = reader
        self.notes = notes
    }

    deinit { stop() }

    /// Opens `paths` (`-` is stdin; no paths means stdin) and prepares their decoders.
    public static func open(_ paths: [String], options: IDSourceOptions, stdin: Int32 = STDIN_FILENO) throws(InputError) -> IDSource {
        let paths = paths.isEmpty ? ["-"] : paths
        let wake = try WakePipe()
        var inputs: [(String, any RawItemDecoder, ByteInput?)] = []
        var usesStdin = false
        for path in paths {
            if path == "-" {
                if usesStdin { throw InputError("stdin ('-') is named more than once") }
                usesStdin = true
            }
            let input = try openInput(path, stdin: stdin)
            if !input.isRegularFile { input.interruptDescriptor = wake.readEnd }
            inputs.append((path, try decoder(for: input, path: path, options: options), input))
        }
        let matchBySeq = options.resume?.matches(inputs: paths) ?? false
        return IDSource(reader: InputReader(inputs: inputs, options: options, wake: wake, matchBySeq: matchBySeq),
                        notes: inputs.compactMap { ($0.1 as? CSVDecoder)?.note })
    }

    /// How many items this run will take from its inputs, estimated from the bytes read so far
    /// when every input is a regular file (its size known); `nil` for a pipe, a terminal or a
    /// selection, and before the first item.
    public var estimatedTotal: Int? {
        guard let total = reader.totalBytes else { return nil }
        let (items, bytes) = (reader.itemsRead.load(ordering: .relaxed), reader.bytesRead.load(ordering: .relaxed))
        guard items > 0, bytes > 0 else { return nil }
        return Int((Double(items) * Double(total) / Double(bytes)).rounded())
    }

    /// The offers `cancel --select` chose, as the items of one input named
    /// ``OfferSelection/source``. `--resume` matches them by ID only: a list is not a file
    /// whose items keep their places from run to run.
    public static func selected(_ selection: OfferSelection, options: IDSourceOptions) throws(InputError) -> IDSource {
        IDSource(reader: InputReader(inputs: [(selection.source, SelectionDecoder(selection), nil)], options: options, wake: try WakePipe(), matchBySeq: false))
    }

    static func openInput(_ path: String, stdin: Int32) throws(InputError) -> ByteInput {
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
        if format == .auto { format = try InputFormat.detect(path: path == "-" ? "" : path, input: input, idColumn: options.idColumn) }
        switch format {
        case .auto, .lines: return LinesDecoder(input: input, maxLineLength: options.maxLineLength)
        case .csv:
            let validator = options.validator
            return try CSVDecoder(input: input, source: path, idColumn: options.idColumn, noHeader: options.noHeader,
                                  isID: { if case .success = validator.validate($0) { true } else { false } }, maxRecordLength: options.maxLineLength)
        case .ndjson: return NDJSONItemDecoder(input: input, idField: options.idField, maxLineLength: options.maxLineLength)
        case .json: return JSONDocumentDecoder(input: input, idField: options.idField)
        }
    }

    /// Items passed over because ``IDSourceOptions/resume`` had settled them.
    public var resumedCount: Int { reader.resumed.withLockedValue { $0.values.reduce(0, +) } }

    /// Items passed over, by the outcome the log gave them.
    public var resumedByOutcome: [Outcome: Int] { reader.resumed.withLockedValue { $0 } }

    /// Items passed over because they belong to another ``IDSourceOptions/shard``.
    public var otherShardsCount: Int { reader.otherShards.load(ordering: .relaxed) }

    /// Up to `limit` items as soon as at least one is read; empty when every input is
    /// exhausted or reading was stopped.
    public func nextBatch(limit: Int) async throws(InputError) -> [InputItem] {
        if !started.exchange(true, ordering: .acquiringAndReleasing) {
            let (reader, queue) = (reader, queue)
            let thread = Thread { reader.run(into: queue) }
            thread.name = "offer-cancel input"
            thread.start()
        }
        return try await queue.nextBatch(limit: limit)
    }

    /// Stops reading at once, also a read that waits on a pipe or terminal. Items not yet
    /// handed out are never handed out.
    public func stop() {
        reader.wake.signal()
        queue.close()
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(source: self)
    }

    /// Hands out items one by one from the source's batches.
    public struct Iterator: AsyncIteratorProtocol {
        let source: IDSource
        var batch: [InputItem] = []
        var index = 0
        var finished = false

        public mutating func next() async throws -> InputItem? {
            if index == batch.count {
                guard !finished else { return nil }
                batch = try await source.nextBatch(limit: 256)
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

/// A pipe whose read end becomes readable when reading must stop.
final class WakePipe: Sendable {
    let readEnd: Int32
    private let writeEnd: Int32
    private let signalled = Atomic(false)

    init() throws(InputError) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw InputError("cannot create a pipe: \(String(cString: strerror(errno)))") }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        _ = fcntl(fds[1], F_SETFL, O_NONBLOCK)
        (readEnd, writeEnd) = (fds[0], fds[1])
    }

    deinit {
        close(readEnd)
        close(writeEnd)
    }

    func signal() {
        signalled.store(true, ordering: .sequentiallyConsistent)
        _ = write(writeEnd, "x", 1)
    }

    var isSignalled: Bool { signalled.load(ordering: .sequentiallyConsistent) }
}

/// The decoders and the dedupe set, driven by the source's reading thread.
///
/// `@unchecked Sendable` is sound here: the mutable state (decoders, their inputs, dedupe set,
/// `seq`, `finishedBytes`) is touched only by the one thread ``IDSource`` starts, once;
/// `resumed` is behind a mutex, the counters are atomics, and the rest is immutable.
final class InputReader: @unchecked Sendable {
    private var inputs: [(name: String, decoder: any RawItemDecoder, input: ByteInput?)]
    /// The inputs' sizes together, when every one is a regular file.
    let totalBytes: Int?
    /// Items handed to the run so far, and the bytes of the inputs consumed to find them.
    let itemsRead = Atomic(0)
    let bytesRead = Atomic(0)
    private var finishedBytes = 0
    private let options: IDSourceOptions
    private var seen = DedupeSet()
    private var seq = 0
    let resumed = NIOLockedValueBox<[Outcome: Int]>([:])
    let otherShards = Atomic(0)
    let wake: WakePipe
    private let matchBySeq: Bool

    init(inputs: [(String, any RawItemDecoder, ByteInput?)], options: IDSourceOptions, wake: WakePipe, matchBySeq: Bool) {
        self.inputs = inputs.map { (name: $0.0, decoder: $0.1, input: $0.2) }
        let sizes = inputs.map { $0.2?.regularFileSize }
        totalBytes = sizes.contains(nil) ? nil : sizes.reduce(0) { $0 + ($1 ?? 0) }
        self.options = options
        self.wake = wake
        self.matchBySeq = matchBySeq
    }

    /// Reads every item into `queue` until the inputs end or the queue is closed.
    func run(into queue: ItemQueue) {
        while let (name, decoder, input) = inputs.first {
            let raw: RawItem?
            do {
                raw = try decoder.next()
            } catch {
                if wake.isSignalled { break }  // stop() interrupted a read
                // The input broke off mid-way (an I/O error): say so in a record, go on.
                inputs.removeFirst()
                if let item = judge(.invalid(line: 0, raw: "", "input could not be read further: \(error.message)"), source: name, everyShard: true),
                   !queue.push(item) { return }
                continue
            }
            guard let raw else {
                finishedBytes += input?.position.offset ?? 0
                inputs.removeFirst()
                continue
            }
            guard let item = judge(raw, source: name) else { continue }
            itemsRead.add(1, ordering: .relaxed)
            bytesRead.store(finishedBytes + (input?.position.offset ?? 0), ordering: .relaxed)
            if !queue.push(item) { return }
        }
        queue.finish()
    }

    /// The item `raw` stands for; `nil` when it belongs to another shard or `--resume` says
    /// it is settled already. An item about the input itself (`everyShard`) is every shard's.
    private func judge(_ raw: RawItem, source: String, everyShard: Bool = false) -> InputItem? {
        seq += 1
        let validated = raw.problem.map { .failure($0) } ?? options.validator.validate(raw.raw)
        if !everyShard, let shard = options.shard, !shard.contains((try? validated.get())?.text ?? raw.raw) {
            otherShards.add(1, ordering: .relaxed)
            return nil
        }
        if matchBySeq, let outcome = options.resume?.localOutcome(seq: seq) {
            resumed.withLockedValue { $0[outcome, default: 0] += 1 }
            return nil
        }
        let disposition: InputItem.Disposition
        switch validated {
        case .failure(let invalid):
            disposition = .invalid(invalid)
        case .success(let id):
            if let outcome = options.resume?.settledOutcome(of: id) {
                resumed.withLockedValue { $0[outcome, default: 0] += 1 }
                return nil
            }
            disposition = !options.dedupe || seen.insert(id) ? .valid(id) : .duplicate(id)
        }
        return InputItem(seq: seq, source: source, line: raw.line, raw: raw.raw, disposition: disposition)
    }
}
