import AsyncHTTPClient
import Foundation
import JSONStream
import NIOCore
import NIOPosix
import NIOHTTP1
import NIOSSL

/// The Arkane Market API over one shared AsyncHTTPClient: keep-alive connections, a pool
/// sized to the run's concurrency, HTTP/2 where the server offers it, timeouts, and reply
/// bodies capped and parsed once.
///
/// ``send(_:method:)`` never throws: every way a request can end is a ``Reply``.
public final class MarketClient: Sendable {
    public static let userAgent = "offer-cancel/\(OfferCancelVersion.current)"
    /// Replies larger than this are not read further and count as malformed.
    public static let maxBodyBytes = 4 * 1024 * 1024

    /// The API's URL, `--base-url`.
    public let market: MarketURL
    /// `--base-url` as given, without a trailing slash.
    public var baseURL: String { market.text }
    /// `--auth-url`, with client credentials.
    private let login: MarketURL?
    public let tokens: TokenProvider
    /// A token that never changes, used without a hop through ``tokens``.
    private let staticToken: Secret?
    let http: HTTPClient
    /// The connections requests for one offer take (``send(_:method:)``).
    private let connections: MarketConnections?
    private let loop: MultiThreadedEventLoopGroup
    /// `--timeout`: how long a reply may take.
    public let timeout: Duration

    /// `caCertificates` names a PEM file of CA certificates to trust besides the system's
    /// (`--cacert`); verification itself is never turned off.
    ///
    /// - Throws: ``MarketClientError/configuration(_:)`` for a URL that is not http(s), a
    ///   token that would travel over plain `http://` to a host other than loopback, or a CA
    ///   file that cannot be read.
    public init(baseURL: String, credentials: Credentials?, concurrency: Int, timeout: Duration, caCertificates: String? = nil) throws {
        let market = try Self.checkTransport(baseURL, carries: credentials == nil ? nil : "a bearer token")
        if case .clientCredentials(_, _, let authURL) = credentials {
            login = try Self.checkTransport(authURL, carries: "the client secret")
        } else {
            login = nil
        }
        var configuration = HTTPClient.Configuration(
            // Connecting (TLS handshake included) gets --timeout too, 10 s at most.
            timeout: .init(connect: .nanoseconds(min(timeout, .seconds(10)).nanoseconds), read: .nanoseconds(timeout.nanoseconds)),
            decompression: .disabled
        )
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(concurrency, 1)
        configuration.connectionPool.idleTimeout = .seconds(60)
        configuration.httpVersion = .automatic
        configuration.redirectConfiguration = .disallow
        if let caCertificates {
            let certificates: [NIOSSLCertificate]
            do {
                certificates = try NIOSSLCertificate.fromPEMFile(caCertificates)
            } catch {
                throw MarketClientError.configuration("--cacert \(caCertificates): cannot read PEM certificates from it (\(error))")
            }
            guard !certificates.isEmpty else { throw MarketClientError.configuration("--cacert \(caCertificates): no certificate in it") }
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.additionalTrustRoots = [.certificates(certificates)]
            configuration.tlsConfiguration = tls
        }
        var ownTLS = configuration.tlsConfiguration ?? .makeClientConfiguration()
        ownTLS.applicationProtocols = ["h2", "http/1.1"]
        // No spans: nothing reads them, and making them costs CPU on every request.
        configuration.tracing.tracer = nil
        // One event loop: every connection goes to one host, and a second loop only adds
        // hand-offs between threads (BENCHMARKS.md, issue 12's levers).
        let loop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let http = HTTPClient(eventLoopGroup: loop, configuration: configuration)
        self.loop = loop
        self.http = http
        // OFFER_CANCEL_ASYNC_HTTP_CLIENT=1 sends everything through AsyncHTTPClient (for A/B runs).
        if ProcessInfo.processInfo.environment["OFFER_CANCEL_ASYNC_HTTP_CLIENT"] != "1" {
            let endpoint = try MarketConnections.Endpoint(url: market, tls: ownTLS)
            connections = MarketConnections(endpoint: endpoint, headers: Self.requestHeaders, group: loop, connectTimeout: min(timeout, .seconds(10)))
        } else {
            connections = nil
        }
        self.market = market
        self.timeout = timeout
        self.tokens = TokenProvider(credentials: credentials ?? .token(""), client: http, timeout: timeout)
        if case .token(let token) = credentials ?? .token("") { staticToken = token } else { staticToken = nil }
    }

    /// Makes sure the API can be reached and a token had before the first cancel: one connect
    /// to the base URL's host and, with client credentials, to the login's (5 s at most each:
    /// a refused port or an unknown host is one line, not a run that hangs or retries for
    /// half a minute), then the first token (a few attempts within 30 s, for a login that
    /// answers but fails). Returns why not, or `nil` when all is well.
    public func prepare() async -> String? {
        let connectTimeout = min(timeout, .seconds(5))
        if let unreachable = await Reachability.check(market, option: "--base-url", group: loop, timeout: connectTimeout) { return unreachable }
        if let failure = await connections?.warmUp() {
            // A refused certificate in its own words; anything else: the server is not TLS.
            if let refusal = TLSRefusal(failure) { return refusal.description }
            return "cannot set up TLS with \(market.authority) (\(Self.describe(failure))): is it an http:// server? (check --base-url)"
        }
        guard await tokens.canRefresh else { return nil }
        if let login, let unreachable = await Reachability.check(login, option: "--auth-url", group: loop, timeout: connectTimeout) {
            return "cannot get a token from \(TokenProvider.tokenURL(login.text)): \(unreachable)"
        }
        do {
            try await tokens.prime()
            return nil
        } catch {
            return "\(error)"
        }
    }

    public func shutdown() async {
        connections?.shutdown()
        try? await http.shutdown()
        try? await loop.shutdownGracefully()
    }

    /// What came of one request.
    public struct Reply: Sendable {
        /// HTTP status, or `nil` when no reply arrived (``transportError`` says why).
        public var status: Int?
        public var retryAfter: Duration?
        /// The parsed body when it was JSON.
        public var body: JSONValue?
        /// Why the body is not usable JSON (truncated, too large, not JSON), if it is not.
        public var bodyError: String?
        public var transportError: String?
        /// No reply came within the timeout.
        public var timedOut = false
        /// The client's requests on the wire when this one was written, itself included: how
        /// many the server could have been answering when it arrived. `nil` when it is not
        /// known (no reply; or a request through AsyncHTTPClient).
        public var sentAmid: Int?
        /// No request was sent, and none can be: no token could be had (the credentials were
        /// refused, or the token endpoint stayed unreachable), or the server's TLS certificate
        /// is not trusted. The run cannot go on.
        public var cannotSend = false
        /// The token the request carried, to invalidate after a 401 (redacted in every
        /// description, and not public).
        var token: Secret?

        /// A reply with `status` and `body`, and nothing else known.
        public init(status: Int? = nil, body: JSONValue? = nil) {
            self.status = status
            self.body = body
        }
    }

    /// `/offers/{id}/cancel` or `/offers/{id}`, with the ID percent-encoded.
    public enum Route: Sendable {
        case cancel(OfferID)
        case offer(OfferID)

        var path: String {
            switch self {
            case .cancel(let id): "/offers/\(id.text.pathSegmentEncoded)/cancel"
            case .offer(let id): "/offers/\(id.text.pathSegmentEncoded)"
            }
        }
    }

    /// Sends `route` by `method` (a cancel goes by ``CancelMethod/current``; everything else by
    /// `GET`), without a body, over the client's own connections (`MarketConnections`).
    public func send(_ route: Route, method: HTTPMethod = .GET) async -> Reply {
        var reply = Reply()
        do {
            let token = try await currentToken()
            reply.token = token
            let body = if let connections {
                try await send(route.path, method: method, token: token, over: connections, into: &reply)
            } else {
                try await sendThroughHTTPClient(route.path, method: method, token: token, into: &reply)
            }
            guard let bytes = body else { return reply }
            do {
                reply.body = try bytes.withUnsafeReadableBytes { (raw) throws(JSONError) in try JSONValue.parse(raw) }
            } catch {
                reply.bodyError = bytes.readableBytes == 0 ? "empty reply body" : "reply is not valid JSON (\(error))"
            }
        } catch is NIOTooManyBytesError {
            reply.bodyError = "reply body larger than \(Self.maxBodyBytes) bytes"
        } catch {
            if let reason = Self.cannotSendReason(error) {
                reply.cannotSend = true
                reply.transportError = reason
            } else {
                reply.transportError = Self.describe(error, hiding: reply.token)
                reply.timedOut = (error as? HTTPClientError).map { $0 == .readTimeout || $0 == .deadlineExceeded } ?? (error as? ExchangeFailure == .noReply)
            }
        }
        return reply
    }

    /// The body of the reply to `path` over `connections`; `nil` when it came too slowly or
    /// grew too large (`reply` says so).
    private func send(_ path: String, method: HTTPMethod, token: Secret, over connections: MarketConnections, into reply: inout Reply) async throws -> ByteBuffer? {
        var headers = connections.headers
        if !token.isEmpty { headers.add(name: "Authorization", value: "Bearer \(token.value)") }
        // No body: said outright, or a POST would go framed in chunks ("0\r\n\r\n"), which a
        // server reading Content-Length only takes for the next request.
        if method != .GET { headers.add(name: "Content-Length", value: "0") }
        let head = HTTPRequestHead(version: .http1_1, method: method, uri: connections.endpoint.url.path + path, headers: headers)
        do {
            let response = try await connections.send(head, deadline: .now() + .nanoseconds(timeout.nanoseconds))
            reply.status = Int(response.head.status.code)
            reply.retryAfter = response.head.headers.first(name: "Retry-After").flatMap(Self.parseRetryAfter)
            reply.sentAmid = response.sentAmid
            return response.body
        } catch ExchangeFailure.bodyTooLarge(let status) {
            reply.status = status
            reply.bodyError = "reply body larger than \(Self.maxBodyBytes) bytes"
        } catch ExchangeFailure.slowBody(let status, let received, let announced) {
            reply.status = status
            reply.bodyError = slowBodyError(received: received, announced: announced)
            reply.timedOut = true
        }
        return nil
    }

    /// The body of the reply to `path` through AsyncHTTPClient; `nil` when it came too slowly
    /// or grew too large (`reply` says so).
    private func sendThroughHTTPClient(_ path: String, method: HTTPMethod, token: Secret, into reply: inout Reply) async throws -> ByteBuffer? {
        let request = authorizedRequest(path, method: method, token: token)
        let response = try await http.execute(request, deadline: .now() + .nanoseconds(timeout.nanoseconds))
        reply.status = Int(response.status.code)
        reply.retryAfter = response.headers.first(name: "Retry-After").flatMap(Self.parseRetryAfter)
        return try await readBody(response, into: &reply)
    }

    /// A request for `path` by `method` with the headers every request of the tool carries,
    /// the run's token among them; and that token, to invalidate after a 401.
    func authorizedRequest(_ path: String, method: HTTPMethod = .GET) async throws -> (HTTPClientRequest, Secret) {
        let token = try await currentToken()
        return (authorizedRequest(path, method: method, token: token), token)
    }

    /// The token the next request carries.
    private func currentToken() async throws -> Secret {
        if let staticToken { return staticToken }
        return try await tokens.token()
    }

    private func authorizedRequest(_ path: String, method: HTTPMethod, token: Secret) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers = Self.requestHeaders
        if !token.isEmpty { request.headers.add(name: "Authorization", value: "Bearer \(token.value)") }
        return request
    }

    /// The headers of every request but its token and `Host`.
    private static let requestHeaders: HTTPHeaders = ["User-Agent": userAgent, "Accept": "application/json"]

    /// Why no request can be sent at all after `error` — credentials refused or unreachable,
    /// a certificate not trusted — or `nil` when another request may fare better.
    static func cannotSendReason(_ error: any Error) -> String? {
        if let rejected = error as? CredentialsRejected { return rejected.description }
        if let unavailable = error as? TokenUnavailable { return unavailable.description }
        return TLSRefusal(error)?.description
    }

    /// The body of `response`, at most ``maxBodyBytes``; `nil` when it stalled past the timeout
    /// (`reply` then says how much of it came) or grew too large.
    private func readBody(_ response: HTTPClientResponse, into reply: inout Reply) async throws -> ByteBuffer? {
        var body: ByteBuffer?
        do {
            for try await var chunk in response.body {
                guard (body?.readableBytes ?? 0) + chunk.readableBytes <= Self.maxBodyBytes else {
                    reply.bodyError = "reply body larger than \(Self.maxBodyBytes) bytes"
                    return nil
                }
                if body == nil { body = chunk } else { body!.writeBuffer(&chunk) }
            }
        } catch let error as HTTPClientError where error == .readTimeout || error == .deadlineExceeded {
            // The status line came: the reply is late, not missing, and says how far it got.
            reply.bodyError = slowBodyError(received: body?.readableBytes ?? 0, announced: response.headers.first(name: "Content-Length").flatMap(Int.init))
            reply.timedOut = true
            return nil
        }
        return body ?? ByteBuffer()
    }

    /// What a reply whose body outlasted the timeout says: how much of it came.
    private func slowBodyError(received: Int, announced: Int?) -> String {
        let seconds = timeout.seconds == timeout.seconds.rounded() ? String(Int(timeout.seconds)) : String(timeout.seconds)
        return "timed out after \(seconds) s reading the reply (\(received) of \(announced.map(String.init) ?? "an unknown number of") bytes)"
    }

    /// Longest wait a reply's `Retry-After` can ask for before it is clamped (and then capped
    /// again by `--retry-after-cap`).
    static let longestRetryAfter: Double = 86_400

    /// `Retry-After` as seconds or as an HTTP-date, clamped to [0, 1 day]; `nil` for anything
    /// else (`inf`, `nan`, a negative number, garbage).
    static func parseRetryAfter(_ value: String) -> Duration? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed) {
            guard seconds.isFinite, seconds >= 0 else { return nil }
            return .milliseconds(Int64(min(seconds, longestRetryAfter) * 1000))
        }
        guard let date = HTTPDate.secondsSince1970(trimmed) else { return nil }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let wait = Double(date) - (Double(now.tv_sec) + Double(now.tv_nsec) / 1e9)
        return .milliseconds(Int64(min(max(wait, 0), longestRetryAfter) * 1000))
    }

    /// A short description of a transport failure, with `secret` cut out wherever the
    /// underlying library quoted it (a refused header value).
    static func describe(_ error: any Error, hiding secret: Secret?) -> String {
        let (ours, quoted) = words(for: error)
        // Only what a library wrote is searched for the secret: a short test token would
        // otherwise be cut out of our own "timed out" or "network error".
        guard let quoted, let secret, !secret.isEmpty else { return ours + (quoted ?? "") }
        return ours + quoted.replacingOccurrences(of: secret.value, with: "<redacted>")
    }

    /// A short, secret-free description of a transport failure.
    static func describe(_ error: any Error) -> String {
        let (ours, quoted) = words(for: error)
        return ours + (quoted ?? "")
    }

    /// Our words for `error`, and the description of it a library wrote that they quote, if any.
    private static func words(for error: any Error) -> (ours: String, quoted: String?) {
        if let error = error as? HTTPClientError {
            switch error {
            case .readTimeout, .deadlineExceeded: return (ExchangeFailure.noReply.description, nil)
            case .connectTimeout: return (ExchangeFailure.connectTimeout.description, nil)
            case .remoteConnectionClosed: return (ExchangeFailure.closedEarly.description, nil)
            default: return ("HTTP error: ", "\(error)")
            }
        }
        if let error = error as? ExchangeFailure { return (error.description, nil) }
        if let error = error as? ChannelError, case .connectTimeout = error { return (ExchangeFailure.connectTimeout.description, nil) }
        if error is NIOConnectionError { return ("network error: ", Reachability.reason(error)) }
        if let error = error as? CredentialsRejected { return ("", error.description) }
        if let error = error as? MarketClientError { return ("", error.description) }
        if let error = error as? NoTokenEndpoint { return ("", error.description) }
        if let refusal = TLSRefusal(error) { return (refusal.description, nil) }
        if case NIOSSLError.handshakeFailed(let reason)? = error as? NIOSSLError {
            // BoringSSL's reason code (WRONG_VERSION_NUMBER), not its error queue and source paths.
            let code = "\(reason)".firstMatch(of: /OPENSSL_internal:([A-Z0-9_]+)/).map { String($0.1) }
            return ("TLS handshake failed: ", code ?? "\(reason)")
        }
        return ("network error: ", "\(error)")
    }

    /// `url`, parsed; refused when it is not an http(s) URL, or when `secret` (what its
    /// requests carry, if anything) would go over plain `http://` to a host other than loopback.
    private static func checkTransport(_ url: String, carries secret: String?) throws(MarketClientError) -> MarketURL {
        let parsed: MarketURL
        do {
            parsed = try MarketURL(url)
        } catch {
            throw .configuration("\(url): \(error)")
        }
        if !parsed.isSecure, let secret, !parsed.isLoopback {
            throw .configuration("refusing to send \(secret) over plain http:// to \(parsed.host); use https:// (http is allowed only to loopback)")
        }
        return parsed
    }
}

extension Duration {
    var nanoseconds: Int64 { components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000 }
}

extension String {
    /// Percent-encodes everything but RFC 3986 unreserved characters (UUIDs pass unchanged,
    /// without building a character set on the hot path).
    var pathSegmentEncoded: String {
        if utf8.allSatisfy(Self.isUnreserved) { return self }
        var encoded = ""
        for byte in utf8 {
            if Self.isUnreserved(byte) {
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = Array("0123456789ABCDEF".utf8)
                encoded += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]], as: UTF8.self)
            }
        }
        return encoded
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }
}

/// The tool's version, for `--version` and the User-Agent.
public enum OfferCancelVersion {
    public static let current = "0.1.0"
}
