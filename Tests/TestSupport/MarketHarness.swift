import AsyncHTTPClient
import Foundation
import JSONStream
import MockMarket
import NIOCore
import NIOHTTP1

/// A running simulated market and a client to talk to it, for one test.
public struct MarketHarness: Sendable {
    public let server: MockMarketServer
    public let client: HTTPClient
    /// A client with a generous read timeout for the market's own routes (stats), so a test that
    /// shortens `client`'s timeout to observe stalls cannot lose its stats on a loaded machine.
    let control: HTTPClient

    /// What came back: status, headers and the parsed body (or the parse error).
    public struct Reply: Sendable {
        public var status: Int
        public var headers: HTTPHeaders
        public var body: Result<JSONValue, JSONError>
        public var json: JSONValue? { try? body.get() }
        public var errorCode: String? { json?["errors"]?[0]?["code"]?.string }
    }

    /// Starts a market with `configure` applied, runs `body`, and always shuts both down.
    public static func with<T>(
        _ configure: (inout MarketConfiguration) -> Void = { _ in },
        timeout: TimeAmount = .seconds(10),
        _ body: (MarketHarness) async throws -> T
    ) async throws -> T {
        var configuration = MarketConfiguration()
        configure(&configuration)
        let server = MockMarketServer(configuration: configuration)
        try await server.start()
        var clientConfiguration = HTTPClient.Configuration(timeout: .init(connect: .seconds(2), read: timeout))
        clientConfiguration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        let control = HTTPClient(eventLoopGroupProvider: .singleton,
                                 configuration: .init(timeout: .init(connect: .seconds(10), read: .seconds(60))))
        let harness = MarketHarness(server: server, client: client, control: control)
        do {
            let result = try await body(harness)
            try await client.shutdown()
            try await control.shutdown()
            await server.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            try? await control.shutdown()
            await server.shutdown()
            throw error
        }
    }

    public func request(_ path: String, method: HTTPMethod = .GET, token: String? = "mock-token", form: String? = nil) async throws -> Reply {
        try await request(path, method: method, token: token, form: form, using: client)
    }

    func request(_ path: String, method: HTTPMethod, token: String?, form: String?, using client: HTTPClient) async throws -> Reply {
        var request = HTTPClientRequest(url: server.baseURL + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let form {
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: form))
        }
        let response = try await client.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 1 << 22)
        let body = Result { () throws(JSONError) in try JSONValue.parse(Array(bytes.readableBytesView)) }
        return Reply(status: Int(response.status.code), headers: response.headers, body: body)
    }

    public func cancel(_ id: String, token: String? = "mock-token") async throws -> Reply {
        try await request("/offers/\(id)/cancel", token: token)
    }

    public func stats() async throws -> JSONValue {
        try await request("/__mock/stats", method: .GET, token: nil, form: nil, using: control).body.get()
    }
}

/// A deterministic, well-formed UUID for test offer number `n`.
public func testID(_ n: Int) -> String {
    let hex = String(n, radix: 16)
    return "00000000-0000-4000-8000-" + String(repeating: "0", count: 12 - hex.count) + hex
}
