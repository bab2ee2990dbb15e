import NIOCore
import NIOHTTP1
import Synchronization

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
    /// The client's requests on the wire when this one was written, itself included: those
    /// the server could have been answering when it arrived (``RequestsOnTheWire``).
    var sentAmid: Int
}

/// How many of the client's requests are on the wire: written, and their reply's head not yet
/// read. It is what the server can count of them; the run's count of requests in flight also
/// holds those whose turn to be written or whose reply's turn to be read has not come, which
/// a client slower than the server (a busy machine, a sanitizer) keeps many of.
final class RequestsOnTheWire: Sendable {
    private let count = Atomic<Int>(0)

    /// A request is written; returns how many are on the wire now, itself included.
    func written() -> Int {
        count.wrappingAdd(1, ordering: .relaxed).newValue
    }

    /// A request written has its reply's head, or none will come.
    func ended() {
        count.wrappingSubtract(1, ordering: .relaxed)
    }
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
    private let onTheWire: RequestsOnTheWire
    private var exchange: Exchange?
    private var deadline: Scheduled<Void>?
    /// The count on the wire when the exchange's request was written.
    private var sentAmid = 0
    /// Whether that request is in the count: from its write to its reply's head.
    private var isOnTheWire = false
    private var head: HTTPResponseHead?
    private var body = ByteBuffer()

    init(onTheWire: RequestsOnTheWire, onAStream: Bool = false) {
        self.onTheWire = onTheWire
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
        sentAmid = onTheWire.written()
        isOnTheWire = true
        context.write(wrapOutboundOut(.head(exchange.head)), promise: nil)
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let exchange else { return context.close(promise: nil) }  // a reply to nothing asked: the connection is not to be trusted
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            offTheWire()
        case .body(var part):
            guard body.readableBytes + part.readableBytes <= MarketClient.maxBodyBytes else {
                return finish(.failure(ExchangeFailure.bodyTooLarge(status: Int(head?.status.code ?? 0))), context: context)
            }
            if body.readableBytes == 0 { body = part } else { body.writeBuffer(&part) }
        case .end:
            guard let head else { return finish(.failure(ExchangeFailure.closedEarly), context: context) }
            let reply = ExchangeReply(head: head, body: body, sentAmid: sentAmid)
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
        offTheWire()
        let exchange = self.exchange
        self.exchange = nil
        context?.close(promise: nil)
        exchange?.reply.completeWith(result)
    }

    /// The request written leaves the count on the wire: its reply's head came, or none will.
    private func offTheWire() {
        guard isOnTheWire else { return }
        isOnTheWire = false
        onTheWire.ended()
    }
}
