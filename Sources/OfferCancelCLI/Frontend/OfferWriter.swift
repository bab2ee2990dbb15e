import CSVSink
import JSONStream
import OfferCancelKit

/// Offers to stdout as NDJSON or CSV (the csv sink's RFC 4180 rows), in 64 KiB writes.
struct OfferWriter {
    let csv: Bool
    private var buffer = JSONWriteBuffer()
    private var wroteHeader = false

    init(csv: Bool) { self.csv = csv }

    /// The CSV columns: each header and where the offer keeps its cell.
    static let columns: [(header: String, cell: @Sendable (JSONValue) -> JSONValue?)] = [
        ("id", OfferFields.id), ("status", OfferFields.status), ("type", OfferFields.type), ("price", OfferFields.price),
        ("chain", OfferFields.chain), ("contract", OfferFields.contract), ("nftId", OfferFields.nftID),
        ("nftName", OfferFields.nftName), ("createdOn", OfferFields.createdOn),
    ]

    mutating func write(_ offer: JSONValue) throws {
        if csv {
            var row: [UInt8] = []
            if !wroteHeader {
                CSVSink.appendRow(Self.columns.map(\.header), to: &row)
                wroteHeader = true
            }
            CSVSink.appendRow(Self.columns.map { $0.cell(offer)?.scalarText ?? "" }, to: &row)
            buffer.append(contentsOf: row)
        } else {
            buffer.append(offer)
            buffer.append(0x0A)
        }
        if buffer.bytes.count >= 64 * 1024 { try flush() }
    }

    mutating func flush() throws {
        try StandardOutput.write(buffer.bytes)
        buffer = JSONWriteBuffer()
    }
}
