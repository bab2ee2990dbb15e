import AsyncHTTPClient
import Foundation
import JSONStream
import NIOCore
import NIOHTTP1

/// How requests are authorised.
public enum Credentials: Sendable {
    /// A bearer token used as is (`--token-file`, `ARKANE_TOKEN`).
    case token(Secret)
    /// OAuth2 client credentials exchanged at `{authURL}/auth/realms/Arkane/protocol/openid-connect/token`.
    case clientCredentials(id: String, secret: Secret, authURL: String)

    /// Whether the environment variable `name` may hold the tool's secrets (`ARKANE_*`): no
    /// child process (an `exec:` consumer, the `--mock` market) inherits one.
    public static func isSecretVariable(_ name: String) -> Bool { name.hasPrefix("ARKANE_") }
}

/// The credentials were refused (a rejected client secret, or a static token the API
/// answers 401 to). The run aborts with exit status 3.
public struct CredentialsRejected: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public var description: String { "credentials rejected: \(reason)" }
}

/// The token endpoint gave no token (unreachable, or not 2xx) for longer than allowed: the
/// run aborts. Names the endpoint and what went wrong, never the secret.
public struct TokenUnavailable: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}

/// Hands out a bearer token to every request in flight, refreshing a client-credentials
/// token before it expires and once after a 401 — one refresh at a time, shared by all.
///
/// A refresh that fails for want of the endpoint (a network error, a 5xx) is retried with
/// backoff by that one shared refresh, for up to twice the request timeout (30 s for the
/// first token, ``prime()``); then every waiting request gets ``TokenUnavailable``. Refused
/// credentials are never retried. Never logs or prints a token or secret.
public actor TokenProvider {
    /// What tokens are made from (its secrets print redacted).
    public nonisolated let credentials: Credentials
    private let client: HTTPClient
    private let timeout: Duration
    private var current: (token: Secret, refreshAt: ContinuousClock.Instant)?
    private var refreshing: Task<(Secret, ContinuousClock.Instant), any Error>?
    /// Tokens fetched so far (for tests and the verbose log).
    public private(set) var refreshCount = 0

    public init(credentials: Credentials, client: HTTPClient, timeout: Duration) {
        self.credentials = credentials
        self.client = client
        self.timeout = timeout
    }

    /// Whether a 401 can be cured by fetching a new token.
    public var canRefresh: Bool {
        if case .clientCredentials = credentials { return true }
        return false
    }

    /// A token that is valid now (as far as its lifetime says).
    public func token() async throws -> Secret {
        switch credentials {
        case .token(let token):
            return token
        case .clientCredentials:
            if let current, ContinuousClock.now < current.refreshAt { return current.token }
            return try await refresh(allowing: timeout * 2, attemptTimeout: timeout)
        }
    }

    /// Fetches the first token before the run sends anything: a few attempts within 30 s.
    /// Throws ``CredentialsRejected`` or ``TokenUnavailable``.
    /// A 404 or 405 here means a wrong `--auth-url` and ends at once; at a later refresh it is
    /// a gateway's moment and is retried like a 503.
    public func prime() async throws {
        guard case .clientCredentials = credentials, current == nil else { return }
        _ = try await refresh(allowing: .seconds(30), attemptTimeout: min(timeout, .seconds(10)), first: true)
    }

    /// Called after a 401 with `token`: drops it so the next ``token()`` fetches a new one,
    /// unless another request already did.
    public func invalidate(_ token: Secret) {
        if current?.token == token { current = nil }
    }

    /// One refresh shared by every caller; a caller whose task is cancelled cancels it (the
    /// run is being given up).
    private func refresh(allowing outage: Duration, attemptTimeout: Duration, first: Bool = false) async throws -> Secret {
        if let refreshing { return try await Self.value(of: refreshing).0 }
        guard case .clientCredentials(let id, let secret, let authURL) = credentials else { fatalError("static tokens are not refreshed") }
        let task = Task { [client] in
            try await Self.fetchRetrying(id: id, secret: secret, authURL: authURL, client: client, attemptTimeout: attemptTimeout, outage: outage, first: first)
        }
        refreshing = task
        defer { refreshing = nil }
        let (token, refreshAt) = try await Self.value(of: task)
        current = (token, refreshAt)
        refreshCount += 1
        return token
    }

    private static func value<T: Sendable>(of task: Task<T, any Error>) async throws -> T {
        try await withTaskCancellationHandler { try await task.value } onCancel: { task.cancel() }
    }

    /// ``fetch`` again after each failure that is not a refusal (of the credentials, or of the
    /// server's certificate, or, for the `first` token, a missing endpoint), with backoff, until
    /// `outage` has passed.
    private static func fetchRetrying(id: String, secret: Secret, authURL: String, client: HTTPClient,
                                      attemptTimeout: Duration, outage: Duration, first: Bool) async throws -> (Secret, ContinuousClock.Instant) {
        let clock = ContinuousClock()
        let started = clock.now
        let backoff = Backoff(base: .milliseconds(500), cap: .seconds(8))
        var attempts = 0
        while true {
            attempts += 1
            do {
                return try await fetch(id: id, secret: secret, authURL: authURL, client: client, timeout: attemptTimeout)
            } catch let rejected as CredentialsRejected {
                throw rejected
            } catch let missing as NoTokenEndpoint where first {
                // Before any token: a wrong --auth-url, which no retry mends.
                throw TokenUnavailable(reason: "cannot get a token from \(tokenURL(authURL)): \(missing), no token endpoint there; check --auth-url")
            } catch is CancellationError {
                throw CancellationError()
            } catch let error where TLSRefusal(error) != nil {
                // An untrusted certificate stays untrusted: no second attempt.
                throw TokenUnavailable(reason: "cannot get a token from \(tokenURL(authURL)): \(MarketClient.describe(error))")
            } catch {
                let elapsed = clock.now - started, delay = backoff.ceiling(after: attempts)
                guard elapsed + delay + attemptTimeout <= outage || attempts == 1 && elapsed + delay <= outage else {
                    let seconds = elapsed.seconds
                    throw TokenUnavailable(reason: "cannot get a token from \(tokenURL(authURL)): \(MarketClient.describe(error)) (\(attempts) attempts in \(Int(seconds.rounded())) s)")
                }
                try await Task.sleep(for: delay)
            }
        }
    }

    static func tokenURL(_ authURL: String) -> String {
        authURL.trimmingSlash + "/auth/realms/Arkane/protocol/openid-connect/token"
    }

    private static func fetch(id: String, secret: Secret, authURL: String, client: HTTPClient, timeout: Duration) async throws -> (Secret, ContinuousClock.Instant) {
        var request = HTTPClientRequest(url: tokenURL(authURL))
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "User-Agent", value: MarketClient.userAgent)
        let form = "grant_type=client_credentials&client_id=\(id.formEncoded)&client_secret=\(secret.value.formEncoded)"
        request.body = .bytes(ByteBuffer(string: form))
        let response = try await client.execute(request, timeout: .nanoseconds(timeout.nanoseconds))
        let body = try await response.body.collect(upTo: 1 << 20)
        if response.status == .unauthorized || response.status == .forbidden || response.status == .badRequest {
            throw CredentialsRejected(reason: "the token endpoint answered \(response.status.code)")
        }
        if response.status == .notFound || response.status == .methodNotAllowed {
            throw NoTokenEndpoint(status: Int(response.status.code))
        }
        guard response.status == .ok else {
            throw MarketClientError.http("HTTP \(response.status.code)")
        }
        let json = try? body.withUnsafeReadableBytes { try JSONValue.parse($0) }
        guard let text = json?["access_token"]?.string, let token = try? Secret(validating: text, name: "the access_token") else {
            throw MarketClientError.http("the reply has no usable access_token")
        }
        // A lifetime from the network is clamped to [1 s, 1 day] before any arithmetic.
        let lifetime = Double(min(max(json?["expires_in"]?.integer ?? 300, 1), 86_400))
        // Refresh when 80 % of the lifetime has passed (at least 0.5 s early), before any request can meet expiry.
        let early = max(lifetime * 0.2, 0.5)
        return (token, .now + .milliseconds(Int64(max(lifetime - early, 0) * 1000)))
    }
}

/// A configuration the client refuses (exit 2), or an HTTP exchange outside the offer routes
/// that went wrong (the token endpoint). Messages never hold a token or secret.
public enum MarketClientError: Error, CustomStringConvertible {
    case http(String)
    case configuration(String)

    public var description: String {
        switch self {
        case .http(let message), .configuration(let message): message
        }
    }
}

extension String {
    var trimmingSlash: String { hasSuffix("/") ? String(dropLast()) : self }

    var formEncoded: String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return addingPercentEncoding(withAllowedCharacters: allowed) ?? self
    }
}

/// The token URL answered 404 or 405: no endpoint there, for now or for good.
struct NoTokenEndpoint: Error, CustomStringConvertible {
    let status: Int
    var description: String { "HTTP \(status)" }
}
