import Foundation
import NIOCore
import NIOPosix

/// Whether a server answers at all, asked once before the first request of a run.
///
/// AsyncHTTPClient retries a refused connection until its connect timeout, request after
/// request, so a wrong port looked like a run that hangs without a word. One TCP connect
/// (bounded by `timeout`) tells a refused, unresolvable or unreachable host in milliseconds;
/// over plain `http://` a short request also tells a TLS server from an HTTP one, which a
/// wrong scheme otherwise only shows as replies that are not HTTP.
enum Reachability {
    /// `nil` when `url`'s host accepts a connection, else one line: host, port, the system's
    /// reason and the `option` to check.
    static func check(_ url: MarketURL, option: String, group: any EventLoopGroup, timeout: Duration) async -> String? {
        let shown = url.authority
        let firstBytes = FirstBytes()
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.nanoseconds(timeout.nanoseconds))
            .channelInitializer { channel in channel.pipeline.addHandler(firstBytes) }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: url.host, port: url.port).getThroughLock()
        } catch {
            return "cannot reach \(shown): \(reason(error)); check \(option) (is the server running, on this port?)"
        }
        defer { channel.close(promise: nil) }
        guard !url.isSecure else { return nil }
        // A TLS server answers a plain request with a TLS record (an alert), or with nothing.
        let request = "HEAD / HTTP/1.1\r\nHost: \(shown)\r\nUser-Agent: \(MarketClient.userAgent)\r\nConnection: close\r\n\r\n"
        channel.writeAndFlush(channel.allocator.buffer(string: request), promise: nil)
        switch await firstBytes.first(within: min(timeout, .seconds(2)), on: channel.eventLoop) {
        case .byte(let first) where first == 0x15 || first == 0x16:
            return "\(shown) answered a plain http:// request in TLS: is this an https:// server? (check \(option))"
        case .closed:
            return "\(shown) closed the connection without a word to a plain http:// request: is this an https:// server? (check \(option))"
        case .byte, .nothingYet:
            return nil  // an HTTP answer, or a slow one: the requests' own timeouts take it from here
        }
    }

    /// The system's words for a failed connect: "Connection refused", a DNS failure…
    static func reason(_ error: any Error) -> String {
        if let error = error as? NIOConnectionError {
            if let io = error.connectionErrors.first?.error as? IOError { return String(cString: strerror(io.errnoCode)) }
            if let dns = error.dnsAError ?? error.dnsAAAAError { return "the name does not resolve (\(dns))" }
        }
        if let io = error as? IOError { return String(cString: strerror(io.errnoCode)) }
        if let channelError = error as? ChannelError, case .connectTimeout = channelError { return "no answer to connect in time" }
        return "\(error)"
    }
}

/// What a connection received first.
private enum FirstSign: Sendable {
    case byte(UInt8)
    /// The peer closed the connection before sending anything.
    case closed
    /// Nothing within the time allowed.
    case nothingYet
}

/// Holds the first sign of life a connection gives, for ``Reachability``.
private final class FirstBytes: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked: `promise` and `seen` are touched only on the channel's event loop (handler
    // callbacks, and `first(within:on:)` hops there with `flatSubmit` before touching them).
    typealias InboundIn = ByteBuffer
    private var promise: EventLoopPromise<FirstSign>?
    private var seen: FirstSign?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        if let byte = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) { settle(.byte(byte)) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        settle(.closed)
        context.fireChannelInactive()
    }

    private func settle(_ sign: FirstSign) {
        guard seen == nil else { return }
        seen = sign
        promise?.succeed(sign)
        promise = nil
    }

    /// The first sign within `limit`.
    func first(within limit: Duration, on loop: any EventLoop) async -> FirstSign {
        let future = loop.flatSubmit { () -> EventLoopFuture<FirstSign> in
            if let seen = self.seen { return loop.makeSucceededFuture(seen) }
            let promise = loop.makePromise(of: FirstSign.self)
            self.promise = promise
            loop.scheduleTask(in: .nanoseconds(limit.nanoseconds)) { self.settle(.nothingYet) }
            return promise.futureResult
        }
        return (try? await future.getThroughLock()) ?? .nothingYet
    }
}
