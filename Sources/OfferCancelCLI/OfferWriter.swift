import CSVSink
import JSONStream
import OfferCancelKit

/// Offers to stdout as NDJSON or CSV (the csv sink's RFC 4180 rows), in 64 KiB writes.
struct OfferWriter {
    let csv: Bool
    private var buffer = JSONWriteBuffer()
    private var wroteHeader = false

    init(csv: Bool) { self.csv = csv }

    static let columns = ["id", "status", "type", "price", "chain", "contract", "nftId", "nftName", "createdOn"]

    mutating func write(_ offer: JSONValue) throws {
        if csv {
            var row: [UInt8] = []
            if !wroteHeader {
                CSVSink.appendRow(Self.columns, to: &row)
                wroteHeader = true
            }
            let cells = [offer["id"], offer["status"], offer["type"], OfferFields.price(offer), OfferFields.chain(offer),
                         OfferFields.contract(offer), OfferFields.nftID(offer), OfferFields.nftName(offer), OfferFields.createdOn(offer)]
            CSVSink.appendRow(cells.map { $0?.scalarText ?? "" }, to: &row)
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
