import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOPosix
import NIOSSL
import NIOTLS

/// The client's own connections to the API's host, plain or over TLS: the way every request for
/// one offer goes (a cancel, a confirmation, a verify). HTTP/1.1 with keep-alive, one request at
/// a time per connection and as many connections as requests in flight; or, when the server
/// chooses HTTP/2 by ALPN, one connection and a stream per request. A connection is reused while
/// the server keeps it open, and closed after any failure.
///
/// AsyncHTTPClient's bookkeeping per request cost a quarter of the client's CPU (BENCHMARKS.md,
/// issue 29), so the hot path does without it.
final class MarketConnections: Sendable {
    /// The base URL, and the TLS context its `https://` takes.
    struct Endpoint: Sendable {
        let url: MarketURL
        let tls: NIOSSLContext?

        /// `url`'s; `tls` with ALPN set by the caller.
        init(url: MarketURL, tls: TLSConfiguration) throws(MarketClientError) {
            self.url = url
            do {
                self.tls = try url.isSecure ? NIOSSLContext(configuration: tls) : nil
            } catch {
                throw .configuration("TLS: \(error)")
            }
        }
    }

    let endpoint: Endpoint
    /// `Host` and the headers every request carries but its token.
    let headers: HTTPHeaders
    private let group: any EventLoopGroup
    private let connectTimeout: Duration
    /// The requests written on any of them and not yet answered.
    private let onTheWire = RequestsOnTheWire()
    /// HTTP/1.1 connections open and not in use.
    private let idle = NIOLockedValueBox<[any Channel]>([])
    /// The connection every request shares once the server chose HTTP/2.
    private let http2 = NIOLockedValueBox<HTTP2Connection?>(nil)

    /// What a new connection speaks, once its handshake is done.
    enum Speaks: Sendable {
        case http1
        case http2(HTTP2Connection)
    }

    struct HTTP2Connection: Sendable {
        let channel: any Channel
        let streams: NIOHTTP2Handler.StreamMultiplexer
        /// Set when the server sent GOAWAY: the streams open finish, and no new one may start.
        let closing: NIOLockedValueBox<Bool>

        /// Whether a new request may go on it.
        var takesRequests: Bool { channel.isActive && !closing.withLockedValue { $0 } }
    }

    init(endpoint: Endpoint, headers: HTTPHeaders, group: any EventLoopGroup, connectTimeout: Duration) {
        self.endpoint = endpoint
        var all: HTTPHeaders = ["Host": endpoint.url.hostHeader]
        all.add(contentsOf: headers)
        self.headers = all
        self.group = group
        self.connectTimeout = connectTimeout
    }

    /// Opens a first connection to a TLS endpoint, so that the protocol the server chose is
    /// known before the requests start (else each of the first requests opens a connection of
    /// its own, to keep one). Returns why no TLS connection could be had: a server that does not
    /// speak TLS, or whose certificate is refused, fails every request the same way.
    func warmUp() async -> (any Error)? {
        guard endpoint.tls != nil, idle.withLockedValue({ $0.isEmpty }), http2.withLockedValue({ $0 == nil }) else { return nil }
        do {
            let (channel, speaks) = try await connect()
            switch speaks {
            case .http1: idle.withLockedValue { $0.append(channel) }
            case .http2(let connection): _ = share(connection)
            }
            return nil
        } catch {
            return error
        }
    }

    /// Sends `head` and returns the whole reply, or throws why not: an ``ExchangeFailure``, a
    /// TLS or connect error, or a protocol error.
    func send(_ head: HTTPRequestHead, deadline: NIODeadline) async throws -> ExchangeReply {
        if let shared = http2.withLockedValue({ $0 }), shared.takesRequests {
            return try await send(head, deadline: deadline, onAStreamOf: shared)
        }
        while let channel = idle.withLockedValue({ $0.popLast() }) {
            if channel.isActive { return try await send(head, deadline: deadline, on: channel, keep: true) }
        }
        let (channel, speaks) = try await connect()
        switch speaks {
        case .http1: return try await send(head, deadline: deadline, on: channel, keep: true)
        case .http2(let connection): return try await send(head, deadline: deadline, onAStreamOf: share(connection))
        }
    }

    /// `connection`, or the HTTP/2 connection another request opened first (`connection` is
    /// then closed): all share one.
    private func share(_ connection: HTTP2Connection) -> HTTP2Connection {
        let shared = http2.withLockedValue { current in
            if let current, current.takesRequests { return current }
            current = connection
            return connection
        }
        if shared.channel !== connection.channel { connection.channel.close(promise: nil) }
        return shared
    }

    private func send(_ head: HTTPRequestHead, deadline: NIODeadline, onAStreamOf connection: HTTP2Connection) async throws -> ExchangeReply {
        let httpProtocol: HTTP2FramePayloadToHTTP1ClientCodec.HTTPProtocol = endpoint.tls == nil ? .http : .https
        let stream = try await connection.streams.createStreamChannel { [onTheWire] stream in
            stream.eventLoop.makeCompletedFuture {
                try stream.pipeline.syncOperations.addHandler(HTTP2FramePayloadToHTTP1ClientCodec(httpProtocol: httpProtocol))
                try stream.pipeline.syncOperations.addHandler(ExchangeHandler(onTheWire: onTheWire, onAStream: true))
            }
        }.getThroughLock()
        return try await send(head, deadline: deadline, on: stream, keep: false)
    }

    /// The exchange of `head` on `channel`, which is kept for another when `keep` says so and
    /// the server keeps it open.
    private func send(_ head: HTTPRequestHead, deadline: NIODeadline, on channel: any Channel, keep: Bool) async throws -> ExchangeReply {
        let reply = channel.eventLoop.makePromise(of: ExchangeReply.self)
        let written = channel.eventLoop.makePromise(of: Void.self)
        // A connection the server closed as the request went: said as any close before the reply.
        written.futureResult.whenFailure { reply.fail(($0 as? ChannelError) == .ioOnClosedChannel ? ExchangeFailure.closedEarly : $0) }
        channel.writeAndFlush(Exchange(head: head, reply: reply, deadline: deadline), promise: written)
        let result = try await withTaskCancellationHandler {
            try await reply.futureResult.getThroughLock()
        } onCancel: {
            reply.fail(ExchangeFailure.cancelled)
            channel.close(promise: nil)
        }
        if keep, result.head.isKeepAlive, channel.isActive { idle.withLockedValue { $0.append(channel) } }
        return result
    }

    /// A new connection, its TLS handshake done (within the connect timeout too) and its
    /// pipeline set for the protocol ALPN chose.
    private func connect() async throws -> (any Channel, Speaks) {
        let (endpoint, onTheWire) = (endpoint, onTheWire)
        let timeout = TimeAmount.nanoseconds(connectTimeout.nanoseconds)
        let (channel, speaks) = try await ClientBootstrap(group: group)
            .connectTimeout(timeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connect(host: endpoint.url.host, port: endpoint.url.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let speaks = channel.eventLoop.makePromise(of: Speaks.self)
                    let handlers = channel.pipeline.syncOperations
                    guard let tls = endpoint.tls else {
                        try handlers.addHTTPClientHandlers()
                        try handlers.addHandler(ExchangeHandler(onTheWire: onTheWire))
                        speaks.succeed(.http1)
                        return (channel, speaks.futureResult)
                    }
                    try handlers.addHandler(NIOSSLClientHandler(context: tls, serverHostname: endpoint.url.serverName))
                    try handlers.addHandler(ApplicationProtocolNegotiationHandler { result, channel in
                        channel.eventLoop.makeCompletedFuture {
                            let handlers = channel.pipeline.syncOperations
                            handlers.removeHandler(name: HandshakeWatcher.name, promise: nil)
                            if result == .negotiated("h2") {
                                let streams = try handlers.configureHTTP2Pipeline(mode: .client, connectionConfiguration: .init(), streamConfiguration: .init()) {
                                    $0.eventLoop.makeSucceededVoidFuture()  // a server opens no stream here
                                }
                                let closing = NIOLockedValueBox(false)
                                try handlers.addHandler(GoAwayWatcher(closing: closing))
                                speaks.succeed(.http2(HTTP2Connection(channel: channel, streams: streams, closing: closing)))
                            } else {
                                try handlers.addHTTPClientHandlers()
                                try handlers.addHandler(ExchangeHandler(onTheWire: onTheWire))
                                speaks.succeed(.http1)
                            }
                        }
                    })
                    try handlers.addHandler(HandshakeWatcher(speaks: speaks), name: HandshakeWatcher.name)
                    let late = channel.eventLoop.scheduleTask(in: timeout) {
                        speaks.fail(ExchangeFailure.connectTimeout)
                        channel.close(promise: nil)
                    }
                    speaks.futureResult.whenComplete { _ in late.cancel() }
                    return (channel, speaks.futureResult)
                }
            }
        do {
            return (channel, try await speaks.getThroughLock())
        } catch {
            channel.close(promise: nil)
            throw error
        }
    }

    /// Closes the connections open.
    func shutdown() {
        for channel in idle.withLockedValue({ idle in defer { idle.removeAll() }; return idle }) { channel.close(promise: nil) }
        http2.withLockedValue { $0 }?.channel.close(promise: nil)
    }
}

/// Marks an HTTP/2 connection closing when the server sends GOAWAY (as servers do after so many
/// requests, or at an age), so that new requests open a new connection instead of failing on it.
final class GoAwayWatcher: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame
    private let closing: NIOLockedValueBox<Bool>

    init(closing: NIOLockedValueBox<Bool>) {
        self.closing = closing
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .goAway = unwrapInboundIn(data).payload { closing.withLockedValue { $0 = true } }
        context.fireChannelRead(data)
    }
}

/// Fails a TLS connection's setup when its handshake fails or the connection closes first.
private final class HandshakeWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    static let name = "offer-cancel.handshake"
    private let speaks: EventLoopPromise<MarketConnections.Speaks>

    init(speaks: EventLoopPromise<MarketConnections.Speaks>) {
        self.speaks = speaks
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        speaks.fail(error)
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        speaks.fail(ExchangeFailure.closedEarly)
        context.fireChannelInactive()
    }
}
