import JSONStream

/// Finds the ID in a JSON item: a bare string, or a (dotted) field of an object.
struct IDFieldExtractor {
    /// Paths tried in order; the first present one is used.
    let paths: [String]

    /// `--id-field` when given, else `id` then `offerId`.
    init(idField: String?) {
        paths = idField.map { [$0] } ?? ["id", "offerId"]
    }

    func item(from value: JSONValue, line: Int) -> RawItem {
        if let text = value.string { return RawItem(line: line, raw: text) }
        guard value.kind == .object else {
            return .invalid(line: line, raw: String(displaying: value.serialized().utf8), "expected an ID string or an object, found \(value.kind)")
        }
        for path in paths {
            guard let field = value.value(atPath: path) else { continue }
            if let text = field.string ?? (field.kind == .integer ? field.scalarText : nil) {
                return RawItem(line: line, raw: text)
            }
            return .invalid(line: line, raw: String(displaying: field.serialized().utf8), "field \"\(path)\" is \(field.kind), not a string")
        }
        let names = paths.map { "\"\($0)\"" }.joined(separator: " or ")
        return .invalid(line: line, raw: String(displaying: value.serialized().utf8), "no \(names) field")
    }
}

/// `--format ndjson`: one JSON object (or bare string) per line; a malformed line is an
/// invalid item and reading goes on with the next line.
final class NDJSONItemDecoder: RawItemDecoder {
    private let reader: NDJSONReader
    private let extractor: IDFieldExtractor

    init(input: ByteInput, idField: String?, maxLineLength: Int) {
        reader = NDJSONReader(input: input, maxLineLength: maxLineLength)
        extractor = IDFieldExtractor(idField: idField)
    }

    func next() throws(InputError) -> RawItem? {
        guard let item = try InputError.reading({ () throws(JSONError) in try reader.next() }) else { return nil }
        switch item.value {
        case .success(let value): return extractor.item(from: value, line: item.line)
        case .failure(let error): return .invalid(line: item.line, raw: "", "malformed JSON: \(error)")
        }
    }
}

/// `--format json`: one document, an array of IDs or objects, or the API's envelope
/// `{"success":true,"result":[…]}`. Elements are streamed, never the whole array held.
/// A document broken part-way yields one invalid item saying where, then ends.
final class JSONDocumentDecoder: RawItemDecoder {
    private let elements: JSONElementReader
    private let extractor: IDFieldExtractor
    private var finished = false

    init(input: ByteInput, idField: String?) {
        elements = JSONElementReader(reader: JSONValueReader(input: input))
        extractor = IDFieldExtractor(idField: idField)
    }

    func next() throws(InputError) -> RawItem? {
        guard !finished else { return nil }
        do {
            guard let element = try elements.next() else {
                finished = true
                return nil
            }
            return extractor.item(from: element, line: elements.elementPosition.line)
        } catch {
            finished = true
            if error.kind == .io { throw InputError(error.description) }
            return .invalid(line: error.line, raw: "", "malformed JSON document: \(error.description); the rest of this input was not read")
        }
    }
}
