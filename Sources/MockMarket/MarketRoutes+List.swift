import Hummingbird
import JSONStream
import NIOCore

extension MarketRoutes {
    /// `GET /user/offers` and `GET /users/{id}/offers`: the caller's offers that the query
    /// selects, in the usual envelope. The array is written a chunk at a time as it is made, so
    /// a list of 300,000 offers never sits whole in the market's memory. With
    /// ``MarketConfiguration/listPageSize`` the list is paged as Venly's API pages it: one page
    /// per request (`pageNumber` from 1, `pageSize`), then a `pagination` member.
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
        /// The offers of the reply, a chunk at a time, and what follows the array.
        let chunks: [ArraySlice<String>]
        var page: Page?
        if let defaultSize = configuration.listPageSize {
            let size = parameters["pageSize"].map { Int($0) ?? 0 } ?? defaultSize
            let number = parameters["pageNumber"].map { Int($0) ?? 0 } ?? 1
            guard (1...100_000).contains(size), number >= 1 else {
                return Self.failure(.badRequest, code: "request.invalid", message: "pageNumber must be at least 1 and pageSize 1 to 100000")
            }
            let matching = state.offers(ids[...], matching: query, owners: owners).map(\.id)
            let served = configuration.listIgnoresPage ? 1 : number
            let range = min(matching.count, (served - 1) * size)..<min(matching.count, served * size)
            page = Page(number: served, size: size, total: matching.count)
            chunks = stride(from: range.lowerBound, to: range.upperBound, by: chunk).map { matching[$0..<min(range.upperBound, $0 + chunk)] }
        } else {
            chunks = stride(from: 0, to: ids.count, by: chunk).map { ids[$0..<min(ids.count, $0 + chunk)] }
        }
        let tail = page.map { "],\"pagination\":" + String(decoding: Self.encode($0.json).readableBytesView, as: UTF8.self) + "}" } ?? "]}"
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody { writer in
            try await writer.write(ByteBuffer(string: "{\"success\":true,\"result\":["))
            var written = 0
            for ids in chunks {
                let offers = state.offers(ids, matching: query, owners: owners)
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
            try await writer.write(ByteBuffer(string: tail))
            state.noteListed(written)
            try await writer.finish(nil)
        })
    }

    /// One page of a paged list.
    private struct Page {
        var number: Int
        var size: Int
        var total: Int

        /// The `pagination` member, as Venly's `VyApiResponseDto` names its fields.
        var json: JSONValue {
            let pages = max(1, (total + size - 1) / size)
            return .object([
                ("pageNumber", .integer(Int64(number))),
                ("pageSize", .integer(Int64(size))),
                ("numberOfPages", .integer(Int64(pages))),
                ("numberOfElements", .integer(Int64(total))),
                ("hasNextPage", .bool(number < pages)),
                ("hasPreviousPage", .bool(number > 1)),
            ])
        }
    }
}
