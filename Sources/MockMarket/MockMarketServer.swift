import Hummingbird
import HummingbirdCore
import HummingbirdHTTP2
import HummingbirdTLS
import JSONStream
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import NIOConcurrencyHelpers
import UnixSignals

/// The simulated Arkane Market: a real HTTP server on loopback.
///
/// Start it with ``start()``, which returns once the port is bound; ``baseURL`` is then
/// valid. ``shutdown()`` stops it gracefully. Safe to use from any task.
public final class MockMarketServer: Sendable {
    public let configuration: MarketConfiguration
    let state: MarketState
    private let running = NIOLockedValueBox<Running?>(nil)

    private struct Running {
        let port: Int
        let group: ServiceGroup
        let task: Task<Void, any Error>
    }

    public init(configuration: MarketConfiguration = MarketConfiguration()) {
        self.configuration = configuration
        self.state = MarketState(configuration: configuration)
    }

    /// Binds and starts serving; returns the bound port. With `handlingSignals`, SIGINT and
    /// SIGTERM shut the server down gracefully (for the standalone executable).
    @discardableResult
    public func start(handlingSignals: Bool = false) async throws -> Int {
        let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "arkane-mock")
        logger.logLevel = .warning
        let app = Application(
            router: MarketRoutes(state: state).router(),
            server: try serverBuilder(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "arkane-mock"),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: logger
        )
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: handlingSignals ? [.sigint, .sigterm] : [], logger: logger))
        let task = Task { try await group.run() }
        var iterator = portStream.makeAsyncIterator()
        guard let port = await iterator.next() else {
            task.cancel()
            _ = try await task.value
            throw MockMarketError.didNotStart
        }
        running.withLockedValue { $0 = Running(port: port, group: group, task: task) }
        return port
    }

    /// Plain HTTP/1.1; with ``MarketConfiguration/tls``, HTTPS with HTTP/1.1 only, or with
    /// HTTP/2 offered first by ALPN.
    private func serverBuilder() throws -> HTTPServerBuilder {
        guard let files = configuration.tls else { return .http1() }
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(files.certificateChain).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: files.privateKey, format: .pem))
        )
        if files.http2 { return try .http2Upgrade(tlsConfiguration: tls) }
        tls.applicationProtocols = ["http/1.1"]
        return try .tls(.http1(), tlsConfiguration: tls)
    }

    /// The bound port, once started.
    public var port: Int? { running.withLockedValue { $0?.port } }

    /// `http://HOST:PORT` (`https://` with TLS), once started; an IPv6 host in brackets.
    public var baseURL: String {
        let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        return "\(configuration.tls == nil ? "http" : "https")://\(host):\(port ?? configuration.port)"
    }

    /// Stops accepting, lets requests in flight finish, and returns when the server is down.
    public func shutdown() async {
        guard let current = running.withLockedValue({ state in defer { state = nil }; return state }) else { return }
        await current.group.triggerGracefulShutdown()
        _ = try? await current.task.value
    }

    /// Waits until the server stops (for the standalone executable).
    public func waitUntilStopped() async throws {
        guard let task = running.withLockedValue({ $0?.task }) else { return }
        try await task.value
    }

    /// The same document `GET /__mock/stats` returns.
    public func stats() -> JSONValue { state.statsJSON() }

    /// Forgets every change and every count, as `POST /__mock/reset` does.
    public func reset() { state.reset() }
}

/// Why the simulated market could not serve.
public enum MockMarketError: Error, CustomStringConvertible {
    case didNotStart

    public var description: String { "the simulated market did not start" }
}
