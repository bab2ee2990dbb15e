import Foundation

/// An API's URL as the tool reads it (`--base-url`, `--auth-url`), parsed in one place: what a
/// URL must be before anything is sent, and the host, port and path that connections, checks
/// and messages take from it.
public struct MarketURL: Sendable, Equatable, CustomStringConvertible {
    /// The URL as given, without a trailing slash: every request's path is appended to it.
    public let text: String
    /// Whether it is `https://`.
    public let isSecure: Bool
    /// The host to connect to: a name, or an address (an IPv6 one without its brackets).
    public let host: String
    /// The port the URL names, else 443 or 80.
    public let port: Int
    /// The path before every request's own (`""`, or `/api`), percent-encoded.
    public let path: String
    /// Whether the URL names its port (the `Host` header then does too).
    private let namesPort: Bool

    /// `text`, which must be an http(s) URL with a host (an IPv6 address in brackets) and
    /// neither a query nor a fragment.
    public init(_ text: String) throws(MarketURLError) {
        let trimmed = text.hasSuffix("/") && !text.hasSuffix("://") ? String(text.dropLast()) : text
        guard let schemeEnd = trimmed.range(of: "://") else {
            // `localhost:8080`: the scheme left out. Plain http:// only where a token may go by it.
            let guess = try? MarketURL("http://" + trimmed)
            throw guess.map { .noScheme(suggestion: ($0.isLoopback ? "http://" : "https://") + trimmed) } ?? .notHTTP
        }
        let authority = trimmed[schemeEnd.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if !authority.hasPrefix("["), authority.filter({ $0 == ":" }).count > 1 {
            // The last part is read as the port (`::1:18103`); an address alone cannot be told apart.
            let parts = authority.split(separator: ":", omittingEmptySubsequences: false)
            throw .ipv6WithoutBrackets(example: "\(trimmed[..<schemeEnd.upperBound])[\(parts.dropLast().joined(separator: ":"))]:\(parts[parts.count - 1])")
        }
        if trimmed.contains("?") || trimmed.contains("#") { throw .queryOrFragment }
        guard let components = URLComponents(string: trimmed), let scheme = components.scheme?.lowercased(),
              let named = components.host, !named.isEmpty else { throw .notHTTP }
        guard scheme == "http" || scheme == "https" else { throw .unsupportedScheme }
        self.text = trimmed
        isSecure = scheme == "https"
        host = named.hasPrefix("[") ? String(named.dropFirst().dropLast()) : named
        port = components.port ?? (isSecure ? 443 : 80)
        namesPort = components.port != nil
        path = components.percentEncodedPath
    }

    /// The host as a URL writes it: an IPv6 address in brackets.
    private var bracketedHost: String { host.contains(":") ? "[\(host)]" : host }

    /// `host:port` (`[::1]:9`): how messages name the server.
    public var authority: String { "\(bracketedHost):\(port)" }

    /// The `Host` header: the host, and the port when the URL names it.
    var hostHeader: String { namesPort ? authority : bracketedHost }

    /// The name TLS sends by SNI and checks the certificate against; `nil` for an IP address,
    /// which is checked against the address connected to instead.
    var serverName: String? {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1 ? nil : host
    }

    /// Whether the host is this machine: the name `localhost`, `::1`, or an IPv4 address in
    /// 127.0.0.0/8 — nothing else (`127.0.0.1.nip.io` and `127.attacker.example` are remote).
    public var isLoopback: Bool {
        let host = host.lowercased()
        if host == "localhost" || host == "::1" { return true }
        var address = in_addr()
        return inet_pton(AF_INET, host, &address) == 1 && UInt32(bigEndian: address.s_addr) >> 24 == 127
    }

    public var description: String { text }
}

/// Why a URL cannot be an API's: the words that follow the option and the URL in its message.
public enum MarketURLError: Error, Equatable, CustomStringConvertible {
    case notHTTP
    /// No scheme: `suggestion` is the URL with the one it likely lacks.
    case noScheme(suggestion: String)
    case unsupportedScheme
    /// `example` is the URL with the address in brackets.
    case ipv6WithoutBrackets(example: String)
    case queryOrFragment

    public var description: String {
        switch self {
        case .notHTTP: "not an http(s) URL"
        case .noScheme(let suggestion): "no scheme: did you mean \(suggestion)?"
        case .unsupportedScheme: "only http and https are supported"
        case .ipv6WithoutBrackets(let example): "an IPv6 address goes in brackets, as in \(example)"
        case .queryOrFragment: "no query or fragment; every request's path and query are added to it"
        }
    }
}
