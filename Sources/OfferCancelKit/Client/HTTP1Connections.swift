import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Keep-alive HTTP/1.1 connections of the client's own to the API's host, plain or over TLS:
/// the way every request for one offer goes (a cancel, a confirmation, a verify). One request
/// at a time per connection, as many connections as requests in flight; a connection is
/// reused while the server keeps it alive, and closed after any failure.
///
/// AsyncHTTPClient's bookkeeping per request cost 40 % of the client's CPU (BENCHMARKS.md,
/// issue 29), so the hot path skips it. When the server chooses HTTP/2 by ALPN, the first
/// connection says so and the client sends through AsyncHTTPClient's HTTP/2 from then on.
final class HTTP1Connections: Sendable {
    /// The host a base URL names, and how to reach it.
    struct Endpoint: Sendable {
        /// The address to connect to (an IPv6 literal without its brackets).
        var host: String
        var port: Int
        /// The `Host` header: the host as the URL writes it, and the port unless it is the default.
        var hostHeader: String
        /// The path before `/offers/…` (`""`, or `/api`).
        var pathPrefix: String
        var tls: NIOSSLContext?

        /// `baseURL`, already checked by ``MarketClient``; `tls` with ALPN set by the caller.
        init?(baseURL: String, tls: TLSConfiguration) throws(MarketClientError) {
            guard let components = URLComponents(string: baseURL), let scheme = components.scheme?.lowercased(),
                  let host = components.host, !host.isEmpty else { return nil }
            let secure = scheme == "https"
            let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
            self.host = bare
            port = components.port ?? (secure ? 443 : 80)
            let named = bare.contains(":") ? "[\(bare)]" : bare
            hostHeader = components.port.map { "\(named):\($0)" } ?? named
            pathPrefix = components.percentEncodedPath
            do {
                self.tls = try secure ? NIOSSLContext(configuration: tls) : nil
            } catch {
                throw .configuration("TLS: \(error)")
            }
        }

        /// The name sent by SNI and checked against the certificate; `nil` for an IP address,
        /// which is checked against the address connected to instead.
        var serverHostname: String? {
            var v4 = in_addr(), v6 = in6_addr()
            return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1 ? nil : host
        }
    }

    let endpoint: Endpoint
    /// `Host` and the headers every request carries but its token.
    let headers: HTTPHeaders
    private let group: any EventLoopGroup
    private let connectTimeout: Duration
    private let idle = NIOLockedValueBox<[any Channel]>([])
    private let http2 = NIOLockedValueBox(false)

    init(endpoint: Endpoint, headers: HTTPHeaders, group: any EventLoopGroup, connectTimeout: Duration) {
        self.endpoint = endpoint
        var all: HTTPHeaders = ["Host": endpoint.hostHeader]
        all.add(contentsOf: headers)
        self.headers = all
        self.group = group
        self.connectTimeout = connectTimeout
    }

    /// Whether the server chose HTTP/2: requests then go another way.
    var serverChoseHTTP2: Bool { http2.withLockedValue { $0 } }

    /// Sends `head` and returns the whole reply, or throws why not: an ``HTTP1Failure``, a TLS
    /// or connect error, or an HTTP parser error.
    func send(_ head: HTTPRequestHead, deadline: NIODeadline) async throws -> HTTP1Reply {
        let channel = try await checkOut()
        let reply = channel.eventLoop.makePromise(of: HTTP1Reply.self)
        let written = channel.eventLoop.makePromise(of: Void.self)
        // A connection the server closed as the request went: said as any close before the reply.
        written.futureResult.whenFailure { reply.fail(($0 as? ChannelError) == .ioOnClosedChannel ? HTTP1Failure.closedEarly : $0) }
        channel.writeAndFlush(HTTP1Exchange(head: head, reply: reply, deadline: deadline), promise: written)
        let result = try await withTaskCancellationHandler {
            try await reply.futureResult.get()
        } onCancel: {
            reply.fail(HTTP1Failure.cancelled)
            channel.close(promise: nil)
        }
        if result.head.isKeepAlive, channel.isActive { idle.withLockedValue { $0.append(channel) } }
        return result
    }

    /// An idle connection still open, else a new one.
    private func checkOut() async throws -> any Channel {
        while let channel = idle.withLockedValue({ $0.popLast() }) {
            if channel.isActive { return channel }
        }
        return try await connect()
    }

    private func connect() async throws -> any Channel {
        let endpoint = endpoint
        let timeout = TimeAmount.nanoseconds(connectTimeout.nanoseconds)
        let (channel, ready) = try await ClientBootstrap(group: group)
            .connectTimeout(timeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connect(host: endpoint.host, port: endpoint.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handlers = channel.pipeline.syncOperations
                    if let tls = endpoint.tls {
                        try handlers.addHandler(NIOSSLClientHandler(context: tls, serverHostname: endpoint.serverHostname))
                    }
                    try handlers.addHTTPClientHandlers()
                    let ready = channel.eventLoop.makePromise(of: String?.self)
                    try handlers.addHandler(HTTP1ReplyHandler(ready: ready, tls: endpoint.tls != nil))
                    // The TLS handshake within the connect timeout too.
                    let late = channel.eventLoop.scheduleTask(in: timeout) {
                        ready.fail(HTTP1Failure.connectTimeout)
                        channel.close(promise: nil)
                    }
                    ready.futureResult.whenComplete { _ in late.cancel() }
                    return (channel, ready.futureResult)
                }
            }
        do {
            if try await ready.get() == "h2" {
                http2.withLockedValue { $0 = true }
                throw HTTP1Failure.serverChoseHTTP2
            }
        } catch {
            channel.close(promise: nil)
            throw error
        }
        return channel
    }

    /// Closes the idle connections.
    func shutdown() {
        for channel in idle.withLockedValue({ idle in defer { idle.removeAll() }; return idle }) { channel.close(promise: nil) }
    }
}
