import Hummingbird
import JSONStream
import NIOCore

extension MarketRoutes {
    /// `GET /user/offers` and `GET /users/{id}/offers`: the caller's offers that the query
    /// selects, in the usual envelope. The array is written a chunk at a time as it is made, so
    /// a list of 300,000 offers never sits whole in the market's memory.
    func listRoute(_ request: Request, subUser: String?) -> Response {
        _ = state.begin(route: "list", faultable: false)
        defer { state.end() }
        if let denied = authorize(request) { return denied }
        let parameters = Dictionary(request.uri.queryParameters.map { (String($0.key), String($0.value)) }, uniquingKeysWith: { $1 })
        let query: OfferQuery
        do { query = try OfferQuery(parameters: parameters, subUser: subUser) } catch {
            return Self.failure(.badRequest, code: "request.invalid", message: error.message)
        }
        let owners = query.owners(caller: configuration.ownerID, subUsers: configuration.subUsers)
        let ids = state.offerIDs()
        let state = state, chunk = max(1, configuration.listChunk), cutAfter = configuration.listCutAfter
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody { writer in
            try await writer.write(ByteBuffer(string: "{\"success\":true,\"result\":["))
            var written = 0
            for start in stride(from: 0, to: ids.count, by: chunk) {
                let offers = state.offers(ids[start..<min(ids.count, start + chunk)], matching: query, owners: owners)
                var buffer = JSONWriteBuffer()
                for offer in offers {
                    if let cutAfter, written == cutAfter {
                        try await writer.write(ByteBuffer(bytes: buffer.bytes))
                        state.noteListed(written)
                        throw MockFault.disconnected
                    }
                    if written > 0 { buffer.append(UInt8(ascii: ",")) }
                    buffer.append(OfferRenderer.render(offer, catalog: state.catalog))
                    written += 1
                }
                if !buffer.bytes.isEmpty { try await writer.write(ByteBuffer(bytes: buffer.bytes)) }
            }
            try await writer.write(ByteBuffer(string: "]}"))
            state.noteListed(written)
            try await writer.finish(nil)
        })
    }
}
