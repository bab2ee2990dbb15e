@testable import OfferCancelKit
import Testing

/// `--base-url` and `--auth-url`, read in one place: what connections, the reachability check,
/// the plain-http rule and messages take from a URL, and what is refused before anything is sent.
@Suite struct MarketURLTests {
    @Test(arguments: [
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080", false, "127.0.0.1", 8080, "", "127.0.0.1:8080", "127.0.0.1:8080", true),
        ("https://api.arkane.network/api", "https://api.arkane.network/api", true, "api.arkane.network", 443, "/api", "api.arkane.network:443", "api.arkane.network", false),
        ("http://[::1]:9", "http://[::1]:9", false, "::1", 9, "", "[::1]:9", "[::1]:9", true),
        ("HTTP://localhost", "HTTP://localhost", false, "localhost", 80, "", "localhost:80", "localhost", true),
        ("https://127.0.0.1.nip.io", "https://127.0.0.1.nip.io", true, "127.0.0.1.nip.io", 443, "", "127.0.0.1.nip.io:443", "127.0.0.1.nip.io", false),
        ("http://127.9.9.9:1", "http://127.9.9.9:1", false, "127.9.9.9", 1, "", "127.9.9.9:1", "127.9.9.9:1", true),
    ])
    func aURLNamesItsHostPortAndPath(given: String, text: String, secure: Bool, host: String, port: Int, path: String,
                                     authority: String, hostHeader: String, loopback: Bool) throws {
        let url = try MarketURL(given)
        #expect(url.text == text, "a trailing slash is dropped: every request's path is appended")
        #expect(url.isSecure == secure)
        #expect(url.host == host && url.port == port && url.path == path)
        #expect(url.authority == authority)
        #expect(url.hostHeader == hostHeader)
        #expect(url.isLoopback == loopback)
    }

    @Test(arguments: [
        ("localhost:8080", MarketURLError.noScheme(suggestion: "http://localhost:8080")),
        ("api.arkane.market/", .noScheme(suggestion: "https://api.arkane.market")),
        ("http://", .notHTTP),
        ("::1", .notHTTP),
        ("ftp://example.com", .unsupportedScheme),
        ("http://::1:18103", .ipv6WithoutBrackets(example: "http://[::1]:18103")),
        ("http://127.0.0.1:9?x=1", .queryOrFragment),
        ("https://api.example/#top", .queryOrFragment),
    ])
    func aURLThatCannotBeAnAPIsIsRefused(given: String, error: MarketURLError) {
        #expect(throws: error) { try MarketURL(given) }
    }
}
