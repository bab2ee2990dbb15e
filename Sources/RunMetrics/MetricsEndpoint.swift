import NIOCore
import NIOHTTP1
import NIOPosix

/// `--metrics-listen HOST:PORT`: serves `GET /metrics` (the exposition) for the life of the
/// run, on swift-nio's HTTP/1.1 server pipeline. Any other path is 404, any other method 405.
/// A scraper that goes away, or never comes, changes nothing in the run.
public final class MetricsEndpoint: Sendable {
    private let channel: any Channel
    /// Where it listens, as `HOST:PORT` with the port bound (a `:0` asked for any free one).
    public let address: String

    private init(channel: any Channel, address: String) {
        self.channel = channel
        self.address = address
    }

    /// Binds `listen` and serves `metrics` until ``stop()``.
    /// - Throws: ``MetricsError`` when the address cannot be bound (in use, not this host's).
    public static func start(_ listen: ListenAddress, metrics: RunMetrics) async throws(MetricsError) -> MetricsEndpoint {
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(MetricsHandler(metrics: metrics))
                }
            }
        do {
            let channel = try await bootstrap.bind(host: listen.host, port: listen.port).get()
            let port = channel.localAddress?.port ?? listen.port
            return MetricsEndpoint(channel: channel, address: "\(listen.host.contains(":") ? "[\(listen.host)]" : listen.host):\(port)")
        } catch {
            throw MetricsError("--metrics-listen \(listen): \(error)")
        }
    }

    /// Stops listening and closes the connections open to it.
    public func stop() async {
        try? await channel.close()
    }
}

/// Answers each request on one connection.
private final class MetricsHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let metrics: RunMetrics
    private var head: HTTPRequestHead?

    init(metrics: RunMetrics) { self.metrics = metrics }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request): head = request
        case .body: break
        case .end:
            guard let request = head else { return }
            head = nil
            respond(to: request, context: context)
        }
    }

    private func respond(to request: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = request.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.uri
        let (status, contentType, body): (HTTPResponseStatus, String, [UInt8])
        if path != "/metrics" {
            (status, contentType, body) = (.notFound, "text/plain; charset=utf-8", Array("offer-cancel serves GET /metrics\n".utf8))
        } else if request.method != .GET && request.method != .HEAD {
            (status, contentType, body) = (.methodNotAllowed, "text/plain; charset=utf-8", Array("GET /metrics\n".utf8))
        } else {
            (status, contentType, body) = (.ok, "text/plain; version=0.0.4; charset=utf-8", metrics.exposition())
        }
        var headers = HTTPHeaders([("Content-Type", contentType), ("Content-Length", String(body.count))])
        if status == .methodNotAllowed { headers.add(name: "Allow", value: "GET, HEAD") }
        let keepAlive = request.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))), promise: nil)
        if request.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            done.whenComplete { _ in loopBound.value.close(promise: nil) }
        }
    }
}

/// `--metrics-listen`'s `HOST:PORT`: `PORT` or `:PORT` alone listen on loopback
/// (127.0.0.1); another host only when named (`0.0.0.0:9464`, `[::]:9464`).
public struct ListenAddress: Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    /// Parses `text`; `nil` when it is not `[HOST:]PORT` with a port from 0 to 65535.
    public init?(_ text: String) {
        var host = "127.0.0.1", portText = Substring(text)
        if let colon = text.lastIndex(of: ":") {
            let named = text[..<colon]
            portText = text[text.index(after: colon)...]
            if named.hasPrefix("[") && named.hasSuffix("]") {
                host = String(named.dropFirst().dropLast())
            } else if !named.isEmpty {
                guard !named.contains(":") else { return nil }
                host = String(named)
            }
        }
        guard !host.isEmpty, let port = Int(portText), (0...65_535).contains(port), portText.allSatisfy(\.isASCII) else { return nil }
        (self.host, self.port) = (host, port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
