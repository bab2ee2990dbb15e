import AsyncHTTPClient
import Foundation
import JSONStream
import NIOCore
import NIOHTTP1

/// How requests are authorised.
public enum Credentials: Sendable {
    /// A bearer token used as is (`--token-file`, `ARKANE_TOKEN`).
    case token(String)
    /// OAuth2 client credentials exchanged at `{authURL}/auth/realms/Arkane/protocol/openid-connect/token`.
    case clientCredentials(id: String, secret: String, authURL: String)
}

/// The credentials were refused (a rejected client secret, or a static token the API
/// answers 401 to). The run aborts with exit status 3.
public struct CredentialsRejected: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public var description: String { "credentials rejected: \(reason)" }
}

/// Hands out a bearer token to every request in flight, refreshing a client-credentials
/// token before it expires and once after a 401 — one refresh at a time, shared by all.
///
/// Never logs or prints a token or secret.
public actor TokenProvider {
    private let credentials: Credentials
    private let client: HTTPClient
    private let timeout: Duration
    private var current: (token: String, refreshAt: ContinuousClock.Instant)?
    private var refreshing: Task<(String, ContinuousClock.Instant), any Error>?
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
    public func token() async throws -> String {
        switch credentials {
        case .token(let token):
            return token
        case .clientCredentials:
            if let current, ContinuousClock.now < current.refreshAt { return current.token }
            return try await refresh()
        }
    }

    /// Called after a 401 with `token`: drops it so the next ``token()`` fetches a new one,
    /// unless another request already did.
    public func invalidate(_ token: String) {
        if current?.token == token { current = nil }
    }

    private func refresh() async throws -> String {
        if let refreshing { return try await refreshing.value.0 }
        guard case .clientCredentials(let id, let secret, let authURL) = credentials else { fatalError("static tokens are not refreshed") }
        let task = Task { [client, timeout] in try await Self.fetch(id: id, secret: secret, authURL: authURL, client: client, timeout: timeout) }
        refreshing = task
        defer { refreshing = nil }
        let (token, refreshAt) = try await task.value
        current = (token, refreshAt)
        refreshCount += 1
        return token
    }

    private static func fetch(id: String, secret: String, authURL: String, client: HTTPClient, timeout: Duration) async throws -> (String, ContinuousClock.Instant) {
        var request = HTTPClientRequest(url: authURL.trimmingSlash + "/auth/realms/Arkane/protocol/openid-connect/token")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "User-Agent", value: MarketClient.userAgent)
        let form = "grant_type=client_credentials&client_id=\(id.formEncoded)&client_secret=\(secret.formEncoded)"
        request.body = .bytes(ByteBuffer(string: form))
        let response = try await client.execute(request, timeout: .nanoseconds(timeout.nanoseconds))
        let body = try await response.body.collect(upTo: 1 << 20)
        if response.status == .unauthorized || response.status == .forbidden || response.status == .badRequest {
            throw CredentialsRejected(reason: "the token endpoint answered \(response.status.code)")
        }
        guard response.status == .ok else {
            throw MarketClientError.http("token endpoint answered \(response.status.code)")
        }
        let json = try? body.withUnsafeReadableBytes { try JSONValue.parse($0) }
        guard let token = json?["access_token"]?.string, !token.isEmpty else {
            throw MarketClientError.http("token endpoint reply has no access_token")
        }
        let lifetime = json?["expires_in"]?.integer ?? 300
        // Refresh when 80 % of the lifetime has passed (at least 0.5 s early), before any request can meet expiry.
        let early = max(Double(lifetime) * 0.2, 0.5)
        return (token, .now + .milliseconds(Int64(max(Double(lifetime) - early, 0) * 1000)))
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
