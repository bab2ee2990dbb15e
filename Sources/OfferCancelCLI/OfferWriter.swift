import JSONStream

/// Offers to stdout as NDJSON or CSV, in 64 KiB writes.
struct OfferWriter {
    let csv: Bool
    private var buffer = JSONWriteBuffer()
    private var wroteHeader = false

    init(csv: Bool) { self.csv = csv }

    static let columns = ["id", "status", "type", "price", "chain", "contract", "nftId", "nftName", "createdOn"]

    mutating func write(_ offer: JSONValue) throws {
        if csv {
            if !wroteHeader {
                buffer.append(contentsOf: (Self.columns.joined(separator: ",") + "\n").utf8)
                wroteHeader = true
            }
            let cells = [offer["id"], offer["status"], offer["type"], offer["price"], offer.value(atPath: "nft.chain"),
                         offer.value(atPath: "nft.contract.address") ?? offer.value(atPath: "nft.address"),
                         offer.value(atPath: "nft.id"), offer.value(atPath: "nft.name"), offer["createdOn"]]
            buffer.append(contentsOf: (cells.map { Self.cell($0?.scalarText ?? "") }.joined(separator: ",") + "\n").utf8)
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

    /// RFC 4180: quoted when it holds a comma, quote or line break.
    static func cell(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + text.replacing("\"", with: "\"\"") + "\"" : text
    }
}
