import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOHTTP2
import NIOPosix
import NIOSSL
import MockMarket
@testable import OfferCancelKit
import Testing

/// The client's own HTTP/1.1 connections, against a server over a real socket that records each
/// request's bytes and the connection it came on.
@Suite struct MarketConnectionsTests {
    /// A server that answers every request (a head without a body) with `{}`; it can close each
    /// connection after its reply, saying so or not, or once it has been idle for a while;
    /// close the first connections instead of replying, or hold the first replies until so
    /// many requests have come.
    final class RecordingServer: Sendable {
        enum Close: Sendable { case never, announced, silently, whenIdle(TimeAmount) }
        let channel: any Channel
        /// Each request's head as received, and the number of the connection it came on.
        let requests = NIOLockedValueBox<[(connection: Int, head: String)]>([])
        private let connections = NIOLockedValueBox(0)
        private let closed = NIOLockedValueBox(0)

        /// `group` has one event loop: every connection's handler runs on it.
        init(group: any EventLoopGroup, close: Close, unansweredFirst: Int = 0, holdFirst: Int = 0) async throws {
            let requests = requests, connections = connections, closed = closed
            let held = Held(unanswered: unansweredFirst, count: holdFirst)
            channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { child in
                    let number = connections.withLockedValue { $0 += 1; return $0 }
                    child.closeFuture.whenComplete { _ in closed.withLockedValue { $0 += 1 } }
                    return child.pipeline.addHandler(Answerer(connection: number, close: close, requests: requests, held: held))
                }
                .bind(host: "127.0.0.1", port: 0).get()
        }

        var baseURL: String { "http://127.0.0.1:\(channel.localAddress!.port!)" }
        var connectionCount: Int { connections.withLockedValue { $0 } }
        var closedCount: Int { closed.withLockedValue { $0 } }

        /// Over every connection: the first `unanswered` requests, answered by a close; then
        /// `count` replies, held until the last of them is due.
        private final class Held: @unchecked Sendable {
            // @unchecked: touched only on the server's one event loop.
            var unanswered: Int
            let count: Int
            var arrived = 0
            var replies: [() -> Void] = []

            init(unanswered: Int, count: Int) {
                self.unanswered = unanswered
                self.count = count
            }

            /// Sends `reply` now, holds it with the others until the last comes, or closes
            /// the connection instead.
            func answer(_ reply: @escaping () -> Void, orClose close: () -> Void) {
                if unanswered > 0 {
                    unanswered -= 1
                    return close()
                }
                guard arrived < count else { return reply() }
                arrived += 1
                replies.append(reply)
                if arrived == count { replies.forEach { $0() } }
            }
        }

        private final class Answerer: ChannelInboundHandler, @unchecked Sendable {
            // @unchecked: `pending` and `idle` are touched only on the connection's event loop.
            typealias InboundIn = ByteBuffer
            let connection: Int
            let close: Close
            let requests: NIOLockedValueBox<[(connection: Int, head: String)]>
            let held: Held
            var pending = ""
            var idle: Scheduled<Void>?

            init(connection: Int, close: Close, requests: NIOLockedValueBox<[(connection: Int, head: String)]>, held: Held) {
                self.connection = connection
                self.close = close
                self.requests = requests
                self.held = held
            }

            func channelRead(context: ChannelHandlerContext, data: NIOAny) {
                pending += String(buffer: unwrapInboundIn(data))
                while let end = pending.range(of: "\r\n\r\n") {
                    let head = String(pending[..<end.lowerBound])
                    pending = String(pending[end.upperBound...])
                    requests.withLockedValue { $0.append((connection, head)) }
                    held.answer({ [self] in reply(context: context) }, orClose: { context.close(promise: nil) })
                }
            }

            private func reply(context: ChannelHandlerContext) {
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

    static func withServer(_ close: RecordingServer.Close, unansweredFirst: Int = 0, holdFirst: Int = 0,
                           _ body: (RecordingServer, MarketClient) async throws -> Void) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await RecordingServer(group: group, close: close, unansweredFirst: unansweredFirst, holdFirst: holdFirst)
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

    /// Each reply says how many of the client's requests were on the wire when its own was
    /// written: what the server could count (the governor learns a capacity from it). Four
    /// at once, held by the server until the fourth: 1 to 4. Then one alone: 1, so each of
    /// the four left the count with its reply.
    @Test func aReplySaysHowManyRequestsWereOnTheWire() async throws {
        try await Self.withServer(.never, holdFirst: 4) { server, client in
            let counts = await withTaskGroup(of: Int?.self) { group in
                for _ in 0..<4 { group.addTask { await client.send(.offer(Self.id)).sentAmid } }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(counts.compactMap(\.self).sorted() == [1, 2, 3, 4], "\(counts)")
            #expect(await client.send(.offer(Self.id)).sentAmid == 1)
        }
    }

    /// A request that got no reply (its connection closed, as after a timeout) leaves the
    /// count too: the next one alone was sent amid 1.
    @Test func aRequestWithoutAReplyLeavesTheWire() async throws {
        try await Self.withServer(.never, unansweredFirst: 1) { server, client in
            let unanswered = await client.send(.offer(Self.id))
            #expect(unanswered.status == nil && unanswered.transportError != nil, "\(unanswered.transportError ?? "")")
            let next = await client.send(.offer(Self.id))
            #expect(next.status == 200 && next.sentAmid == 1, "\(next.transportError ?? "") \(String(describing: next.sentAmid))")
        }
    }

    /// A server retiring an HTTP/2 connection says so by GOAWAY (nginx after 1,000 requests,
    /// by default): the connection then takes no new request, which would fail on it, and the
    /// next one opens a new connection. Every frame passes on.
    @Test func aGoAwayRetiresTheConnection() throws {
        let closing = NIOLockedValueBox(false)
        let channel = EmbeddedChannel(handler: GoAwayWatcher(closing: closing))
        let frames = [HTTP2Frame(streamID: .rootStream, payload: .settings(.ack)), HTTP2Frame(streamID: .rootStream, payload: .ping(.init(withInteger: 1), ack: true))]
        for frame in frames { try channel.writeInbound(frame) }
        #expect(!closing.withLockedValue { $0 })
        try channel.writeInbound(HTTP2Frame(streamID: .rootStream, payload: .goAway(lastStreamID: 7, errorCode: .noError, opaqueData: nil)))
        #expect(closing.withLockedValue { $0 })
        var passed = 0
        while try channel.readInbound(as: HTTP2Frame.self) != nil { passed += 1 }
        #expect(passed == 3)
        _ = try channel.finish()
    }

    @Test(arguments: [
        ("http://127.0.0.1:8080", "127.0.0.1", 8080, "127.0.0.1:8080", "", false),
        ("https://api.arkane.network/api", "api.arkane.network", 443, "api.arkane.network", "/api", true),
        ("http://[::1]:9", "::1", 9, "[::1]:9", "", false),
        ("http://localhost", "localhost", 80, "localhost", "", false),
    ])
    func aBaseURLNamesTheHostAndThePath(url: String, host: String, port: Int, hostHeader: String, prefix: String, tls: Bool) throws {
        let endpoint = try MarketConnections.Endpoint(url: MarketURL(url), tls: .makeClientConfiguration())
        #expect(endpoint.url.host == host)
        #expect(endpoint.url.port == port)
        #expect(endpoint.url.hostHeader == hostHeader)
        #expect(endpoint.url.path == prefix)
        #expect((endpoint.tls != nil) == tls)
        #expect(endpoint.url.serverName == (host.first!.isLetter ? host : nil), "no SNI for an address")
    }
}

/// Over HTTP/2 against a server that retires each connection after a few requests, as nginx
/// does after 1,000: GOAWAY before the reply to the last one it takes, the close soon after.
@Suite struct RetiredHTTP2ConnectionTests {
    /// Answers each request `{}`; the `limit`-th request on a connection gets GOAWAY first.
    final class Answerer: ChannelInboundHandler, @unchecked Sendable {
        // @unchecked: `head` is touched only on the stream's event loop; `served` is locked.
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let connection: any Channel
        let served: NIOLockedValueBox<Int>
        let limit: Int

        init(connection: any Channel, served: NIOLockedValueBox<Int>, limit: Int) {
            self.connection = connection
            self.served = served
            self.limit = limit
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .end = unwrapInboundIn(data) else { return }
            let count = served.withLockedValue { $0 += 1; return $0 }
            if count == limit, let stream = try? context.channel.syncOptions?.getOption(HTTP2StreamChannelOptions.streamID) {
                connection.writeAndFlush(HTTP2Frame(streamID: .rootStream, payload: .goAway(lastStreamID: stream, errorCode: .noError, opaqueData: nil)), promise: nil)
                let connection = connection
                context.eventLoop.scheduleTask(in: .milliseconds(300)) { connection.close(promise: nil) }
            }
            context.write(wrapOutboundOut(.head(.init(version: .http2, status: .ok, headers: ["content-length": "2"]))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "{}")))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }

    @Test func requestsAfterAGoAwayGoOnANewConnection() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("goaway-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let files = try SelfSignedTLS.make(in: folder, hosts: ["127.0.0.1"], http2: true)
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(files.certificateChain).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: files.privateKey, format: .pem)))
        tls.applicationProtocols = ["h2"]
        let context = try NIOSSLContext(configuration: tls)
        let connections = NIOLockedValueBox(0)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                connections.withLockedValue { $0 += 1 }
                let served = NIOLockedValueBox(0)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    _ = try channel.pipeline.syncOperations.configureHTTP2Pipeline(mode: .server, connectionConfiguration: .init(), streamConfiguration: .init()) { stream in
                        stream.eventLoop.makeCompletedFuture {
                            try stream.pipeline.syncOperations.addHandler(HTTP2FramePayloadToHTTP1ServerCodec())
                            try stream.pipeline.syncOperations.addHandler(Answerer(connection: channel, served: served, limit: 4))
                        }
                    }
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let client = try MarketClient(baseURL: "https://127.0.0.1:\(server.localAddress!.port!)", credentials: .token("tok"), concurrency: 1,
                                      timeout: .seconds(10), caCertificates: folder + "/ca.pem")
        var failures: [String] = []
        for _ in 0..<12 {
            let reply = await client.send(.offer(MarketConnectionsTests.id))
            if reply.status != 200 { failures.append(reply.transportError ?? "status \(reply.status ?? 0)") }
        }
        await client.shutdown()
        try await server.close()
        try await group.shutdownGracefully()
        #expect(failures.isEmpty, "\(failures)")
        #expect(connections.withLockedValue { $0 } == 3, "four requests on each of three connections")
    }
}
