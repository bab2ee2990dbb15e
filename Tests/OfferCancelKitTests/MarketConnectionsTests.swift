import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
@testable import OfferCancelKit
import Testing

/// The client's own HTTP/1.1 connections, against a server over a real socket that records each
/// request's bytes and the connection it came on.
@Suite struct MarketConnectionsTests {
    /// A server that answers every request (a head without a body) with `{}`; it can close each
    /// connection after its reply, saying so or not, or once it has been idle for a while.
    final class RecordingServer: Sendable {
        enum Close: Sendable { case never, announced, silently, whenIdle(TimeAmount) }
        let channel: any Channel
        /// Each request's head as received, and the number of the connection it came on.
        let requests = NIOLockedValueBox<[(connection: Int, head: String)]>([])
        private let connections = NIOLockedValueBox(0)
        private let closed = NIOLockedValueBox(0)

        init(group: any EventLoopGroup, close: Close) async throws {
            let requests = requests, connections = connections, closed = closed
            channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { child in
                    let number = connections.withLockedValue { $0 += 1; return $0 }
                    child.closeFuture.whenComplete { _ in closed.withLockedValue { $0 += 1 } }
                    return child.pipeline.addHandler(Answerer(connection: number, close: close, requests: requests))
                }
                .bind(host: "127.0.0.1", port: 0).get()
        }

        var baseURL: String { "http://127.0.0.1:\(channel.localAddress!.port!)" }
        var connectionCount: Int { connections.withLockedValue { $0 } }
        var closedCount: Int { closed.withLockedValue { $0 } }

        private final class Answerer: ChannelInboundHandler, @unchecked Sendable {
            // @unchecked: `pending` and `idle` are touched only on the connection's event loop.
            typealias InboundIn = ByteBuffer
            let connection: Int
            let close: Close
            let requests: NIOLockedValueBox<[(connection: Int, head: String)]>
            var pending = ""
            var idle: Scheduled<Void>?

            init(connection: Int, close: Close, requests: NIOLockedValueBox<[(connection: Int, head: String)]>) {
                self.connection = connection
                self.close = close
                self.requests = requests
            }

            func channelRead(context: ChannelHandlerContext, data: NIOAny) {
                pending += String(buffer: unwrapInboundIn(data))
                while let end = pending.range(of: "\r\n\r\n") {
                    let head = String(pending[..<end.lowerBound])
                    pending = String(pending[end.upperBound...])
                    requests.withLockedValue { $0.append((connection, head)) }
                    let closing = if case .announced = close { "Connection: close\r\n" } else { "" }
                    context.writeAndFlush(NIOAny(ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\(closing)\r\n{}")), promise: nil)
                    switch close {
                    case .never: break
                    case .announced, .silently: context.close(promise: nil)
                    case .whenIdle(let after):
                        idle?.cancel()
                        idle = context.eventLoop.assumeIsolated().scheduleTask(in: after) { context.close(promise: nil) }
                    }
                }
            }
        }
    }

    static func withServer(_ close: RecordingServer.Close, _ body: (RecordingServer, MarketClient) async throws -> Void) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await RecordingServer(group: group, close: close)
        let client = try MarketClient(baseURL: server.baseURL, credentials: .token("tok"), concurrency: 4, timeout: .seconds(10))
        do {
            try await body(server, client)
        } catch {
            await client.shutdown()
            try? await server.channel.close()
            try? await group.shutdownGracefully()
            throw error
        }
        await client.shutdown()
        try await server.channel.close()
        try await group.shutdownGracefully()
    }

    static let id = try! IDValidator().validate("00000000-0000-4000-8000-000000000001").get()

    /// A cancel by POST says it has no body (`Content-Length: 0`), never a chunked one, which a
    /// server reading Content-Length only takes for the next request; the requests one after
    /// another share one kept-alive connection.
    @Test func cancelsGoFramedAndShareAKeptConnection() async throws {
        try await Self.withServer(.never) { server, client in
            for method in [HTTPMethod.POST, .GET, .POST] {
                let reply = await client.send(.cancel(Self.id), method: method)
                #expect(reply.status == 200 && reply.transportError == nil, "\(reply.transportError ?? "")")
            }
            let requests = server.requests.withLockedValue { $0 }
            #expect(requests.count == 3)
            #expect(server.connectionCount == 1, "one connection, kept alive")
            let port = server.baseURL.split(separator: ":").last!
            for (index, (_, head)) in requests.enumerated() {
                let lines = head.lowercased().split(separator: "\r\n")
                #expect(lines.first == "\(index == 1 ? "get" : "post") /offers/\(Self.id.text)/cancel http/1.1")
                #expect(lines.contains("host: 127.0.0.1:\(port)"))
                #expect(lines.contains("authorization: bearer tok"))
                #expect(!lines.contains { $0.hasPrefix("transfer-encoding") }, "\(head)")
                #expect(lines.contains("content-length: 0") == (index != 1), "\(head)")
            }
        }
    }

    /// A connection the server closes — saying so, after the reply without a word, or once it
    /// has been idle — is never used again: the next request goes on a new one, and no reply is
    /// lost to a closed connection.
    @Test(arguments: [RecordingServer.Close.announced, .silently, .whenIdle(.milliseconds(50))])
    func aClosedConnectionIsNotReused(close: RecordingServer.Close) async throws {
        try await Self.withServer(close) { server, client in
            for _ in 0..<3 {
                let reply = await client.send(.offer(Self.id))
                #expect(reply.status == 200 && reply.transportError == nil, "\(reply.transportError ?? "")")
                // The case this tests is a connection already closed: the server's side first, then
                // time for the client's event loop to see it.
                while server.closedCount < server.connectionCount { try await Task.sleep(for: .milliseconds(10)) }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(server.connectionCount == 3)
        }
    }

    @Test(arguments: [
        ("http://127.0.0.1:8080", "127.0.0.1", 8080, "127.0.0.1:8080", "", false),
        ("https://api.arkane.network/api", "api.arkane.network", 443, "api.arkane.network", "/api", true),
        ("http://[::1]:9", "::1", 9, "[::1]:9", "", false),
        ("http://localhost", "localhost", 80, "localhost", "", false),
    ])
    func aBaseURLNamesTheHostAndThePath(url: String, host: String, port: Int, hostHeader: String, prefix: String, tls: Bool) throws {
        let endpoint = try #require(try MarketConnections.Endpoint(baseURL: url, tls: .makeClientConfiguration()))
        #expect(endpoint.host == host)
        #expect(endpoint.port == port)
        #expect(endpoint.hostHeader == hostHeader)
        #expect(endpoint.pathPrefix == prefix)
        #expect((endpoint.tls != nil) == tls)
        #expect(endpoint.serverHostname == (host.first!.isLetter ? host : nil), "no SNI for an address")
    }
}
