import NIOCore
import NIOHTTP1

/// One request on a connection (or an HTTP/2 stream) of ``MarketConnections``, and where its
/// reply goes.
struct Exchange: Sendable {
    var head: HTTPRequestHead
    var reply: EventLoopPromise<ExchangeReply>
    /// When the whole reply must have come.
    var deadline: NIODeadline
}

/// A whole reply: its head and its body, at most ``MarketClient/maxBodyBytes``.
struct ExchangeReply: Sendable {
    var head: HTTPResponseHead
    var body: ByteBuffer
}

/// How an exchange failed short of a whole reply, in the words ``MarketClient`` reports.
enum ExchangeFailure: Error, Equatable, CustomStringConvertible {
    /// No connection (TLS handshake included) within the connect timeout.
    case connectTimeout
    /// The deadline passed before the reply's status line.
    case noReply
    /// The deadline passed while the body came: how much of it had, of how much announced.
    case slowBody(status: Int, received: Int, announced: Int?)
    /// The server closed the connection before the reply was complete.
    case closedEarly
    case bodyTooLarge(status: Int)
    /// The request's task was cancelled (the run's grace period ended).
    case cancelled

    var description: String {
        switch self {
        case .connectTimeout: "timed out connecting"
        case .noReply: "timed out waiting for the reply"
        case .slowBody: "timed out reading the reply"
        case .closedEarly: "connection closed by the server before the reply was complete"
        case .bodyTooLarge: "reply body larger than \(MarketClient.maxBodyBytes) bytes"
        case .cancelled: "cancelled"
        }
    }
}

/// The last handler of an HTTP/1.1 connection or an HTTP/2 stream of ``MarketConnections``:
/// writes an ``Exchange``'s request, gathers its reply and completes its promise — with the
/// reply, or with why not (the deadline, the body cap, a close before the end, an error such
/// as the TLS handshake's). It lives on the channel's event loop, one exchange at a time.
final class ExchangeHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = Exchange
    typealias OutboundOut = HTTPClientRequestPart

    /// On an HTTP/2 stream, which ends with its reply (closing it again would reset it).
    private let onAStream: Bool
    private var exchange: Exchange?
    private var deadline: Scheduled<Void>?
    private var head: HTTPResponseHead?
    private var body = ByteBuffer()

    init(onAStream: Bool = false) {
        self.onAStream = onAStream
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let exchange = unwrapOutboundIn(data)
        precondition(self.exchange == nil, "one exchange at a time per connection")
        self.exchange = exchange
        head = nil
        body.clear()
        deadline = context.eventLoop.assumeIsolated().scheduleTask(deadline: exchange.deadline) { [self] in
            let failure = head.map { ExchangeFailure.slowBody(status: Int($0.status.code), received: body.readableBytes, announced: $0.headers.first(name: "Content-Length").flatMap(Int.init)) }
            finish(.failure(failure ?? ExchangeFailure.noReply), context: context)
        }
        context.write(wrapOutboundOut(.head(exchange.head)), promise: nil)
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let exchange else { return context.close(promise: nil) }  // a reply to nothing asked: the connection is not to be trusted
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body(var part):
            guard body.readableBytes + part.readableBytes <= MarketClient.maxBodyBytes else {
                return finish(.failure(ExchangeFailure.bodyTooLarge(status: Int(head?.status.code ?? 0))), context: context)
            }
            if body.readableBytes == 0 { body = part } else { body.writeBuffer(&part) }
        case .end:
            guard let head else { return finish(.failure(ExchangeFailure.closedEarly), context: context) }
            let reply = ExchangeReply(head: head, body: body)
            // The reply's head and body go to the task that asked, which reads and frees them;
            // none stays here, to be freed on the event loop after that task's reads (its
            // release is an atomic ThreadSanitizer cannot see, and it reported the free as a race).
            self.head = nil
            body = ByteBuffer()
            self.exchange = nil
            deadline?.cancel()
            deadline = nil
            if !onAStream, !head.isKeepAlive { context.close(promise: nil) }
            exchange.reply.succeed(reply)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.failure(ExchangeFailure.closedEarly), context: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(.failure(error), context: context)
    }

    /// Fails the exchange in flight, if any, and closes the connection: it is not reused after
    /// a failure.
    private func finish(_ result: Result<ExchangeReply, any Error>, context: ChannelHandlerContext?) {
        deadline?.cancel()
        deadline = nil
        let exchange = self.exchange
        self.exchange = nil
        context?.close(promise: nil)
        exchange?.reply.completeWith(result)
    }
}
