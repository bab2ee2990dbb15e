import ArgumentParser
import Foundation
import MockMarket

/// `arkane-mock`: the simulated Arkane Market as a standalone server.
@main
struct ArkaneMock: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "arkane-mock",
        abstract: "A simulated Arkane Market API on loopback, for tests, benchmarks and demos.",
        discussion: """
            Serves GET /offers/{id}/cancel, GET /offers/{id}, GET /user/offers, the OAuth2 token \
            endpoint, GET /__mock/stats, POST /__mock/reset and POST /__mock/config (a JSON object \
            changing the gateway's rateLimit, burst, capacity, penalty or retryAfterStyle while it runs). Any well-formed UUID becomes a READY \
            offer on first sight unless --no-first-sight; the fate options give shares of those IDs \
            other fates, chosen by a hash of the ID and --seed. Fault rates are shares (0 to 1) of \
            requests to the offer routes. Prints one line, "listening on http://HOST:PORT", when ready.
            """
    )

    @Option(help: "Address to bind.") var host = "127.0.0.1"
    @Option(help: "Port to bind (0 picks a free one).") var port = 8080
    @Option(help: "Static bearer token that never expires.") var token = "mock-token"
    @Option(help: "The client id allowed at the token endpoint.") var clientId = "mock-client"
    @Option(help: "That client's secret.") var clientSecret = "mock-secret"
    @Option(help: "Lifetime in seconds of issued tokens (≥ 1).") var tokenLifetime = 1800
    @Option(help: "Milliseconds a cancelled offer stays CLOSING_OFFER before CLOSED.") var closeDelayMs = 500
    @Option(help: "Added latency per offer request, in milliseconds.") var latencyMs = 0
    @Option(help: "Random extra latency up to this many milliseconds.") var jitterMs = 0
    @Option(help: "How long a stall fault holds a request, in milliseconds.") var stallMs = 30_000
    @Option(help: "Seconds in the Retry-After of 429 replies.") var retryAfter = 1
    @Option(help: "Seed for fates and faults.") var seed: UInt64 = 1
    @Option(help: "JSON file of offers (array, or {\"result\": [...]}) with id, status, owner.") var fixture: String?
    @Option(help: "Create this many offers up front, listed by GET /user/offers (READY; with --mixed, 70% READY and the rest CLOSED, SOLD, CLOSING_OFFER, NEW or TERMINATED, one in five owned by a sub-user).") var seedOffers = 0
    @Option(help: "Spread offers over this many NFT contracts on four chains (the first is the seed reply's).") var contracts = 1
    @Option(help: "Sub-users of the caller's application (sub-user-1… with externalUserId ext-1…; 3 with --mixed).") var subUsers: Int?
    @Option(help: "Offers per chunk written by a list reply.") var listChunk = 500
    @Option(help: "Fault: list replies drop the connection after this many offers.") var listCutAfter: Int?
    @Option(help: "Offers shaped as the seed page's reply (seed) or as the later documentation's (docs: animationUrls, fungible, maxSupply, contract media as a list, currency, a sold offer's buyer).") var replyShape = "seed"
    @Option(help: "Page list replies N offers at a time, as Venly's API does (pageNumber from 1, pageSize; a pagination member). Default: the whole list in one reply.") var pageSize: Int?
    @Flag(help: "Fault, with --page-size: every list request gets the first page, whatever pageNumber it asks for.") var faultIgnorePage = false
    @Flag(help: "Unknown IDs are 404 instead of new READY offers.") var noFirstSight = false
    @Option(help: "The methods /offers/{id}/cancel takes: GET (the seed page), POST (the later documentation) or both; the other is answered 405 in the API's envelope.") var cancelMethod = "both"

    @Option(name: .customLong("closed"), help: "Share of first-sight offers already CLOSED.") var alreadyClosed = 0.0
    @Option(help: "Share of first-sight offers CLOSING_OFFER.") var closing = 0.0
    @Option(help: "Share of first-sight offers SOLD (not cancellable).") var sold = 0.0
    @Option(help: "Share of first-sight IDs that are not found (404).") var notFound = 0.0
    @Option(help: "Share of first-sight offers owned by someone else (403).") var notOwned = 0.0
    @Flag(help: "A mix of every fate: 10% closed, 5% each closing, sold, not found, not owned.") var mixed = false

    @Option(name: .customLong("fault-500"), help: "Share of requests answered 500.") var fault500 = 0.0
    @Option(name: .customLong("fault-502"), help: "Share of requests answered 502.") var fault502 = 0.0
    @Option(name: .customLong("fault-503"), help: "Share of requests answered 503.") var fault503 = 0.0
    @Option(name: .customLong("fault-429"), help: "Share answered 429 with Retry-After (seconds and HTTP-date forms).") var fault429 = 0.0
    @Option(help: "Share whose connection is closed mid-reply.") var faultDisconnect = 0.0
    @Option(help: "Share answered 200 with a truncated JSON body.") var faultTruncated = 0.0
    @Option(help: "Share answered 200 with \"success\": false.") var faultSuccessFalse = 0.0
    @Option(help: "Share that stall for --stall-ms before answering.") var faultStall = 0.0
    @Option(help: "Share of offer requests applied, then whose connection drops before the reply (a lost reply).") var faultLostReply = 0.0
    @Option(name: .customLong("fault-502-after-apply"), help: "Share of offer requests applied, then answered 502 (a proxy that lost the backend's reply).") var fault502AfterApply = 0.0
    @Option(help: "Share of token requests answered 503.") var faultToken = 0.0
    @Option(help: "Gateway: requests per second per client (N/s or N/m), above which it answers 429 rate.limited.") var rateLimit: String?
    @Option(help: "Gateway: requests a client may send at once above --rate-limit (default: one second's worth).") var burst: Int?
    @Option(help: "Gateway: Retry-After of its 429s: seconds, date, none or mixed.") var retryAfterStyle = "seconds"
    @Option(help: "Gateway: lock a client out for this many seconds when over 30% of its requests in a 2-second window were rejected (and it sent at least a second's worth of --rate-limit in it).") var penalty: Double?
    @Option(help: "Gateway: requests served at once before it answers 503.") var capacity: Int?
    @Option(help: "Withdraw the client's credentials after N tokens were issued: token N+1 is refused and every token stops working.") var revokeAfter: Int?
    @Option(help: "Serve HTTPS with this certificate chain (PEM); with --tls-key.") var tlsCert: String?
    @Option(help: "The private key (PEM) of --tls-cert.") var tlsKey: String?
    @Option(help: ArgumentHelp("Serve HTTPS with a fresh CA and a certificate it signs, written to this folder (ca.pem is the CA to trust: offer-cancel --cacert FOLDER/ca.pem). Needs the openssl command.", valueName: "folder")) var tlsSelfSigned: String?
    @Option(help: "With --tls-self-signed: the names and addresses the certificate is issued for, comma-separated.") var tlsHosts = "localhost,127.0.0.1,::1"
    @Flag(help: "With TLS: offer HTTP/2 as well as HTTP/1.1 (by ALPN).") var http2 = false
    @Flag(help: "The market offer-cancel --mock starts: --mixed, 2 ms latency with up to 8 ms jitter, 3% 503 and 1% 429 (Retry-After 1). The fate, fault and latency options are ignored. Without --seed-offers it lists 1,000 offers over 3 contracts, statuses mixed.") var demo = false
    @Flag(help: "Stop when standard input reaches its end: a parent that starts the market holding a pipe to it stops it by exiting, however it exits.") var stopAtEndOfInput = false

    /// `--rate-limit` in requests per second.
    var rateLimitPerSecond: Double? {
        get throws {
            guard let rateLimit else { return nil }
            let parts = rateLimit.split(separator: "/", maxSplits: 1)
            let unit: Double? = parts.count == 1 ? 1 : ["s": 1, "m": 60][parts[1].lowercased()]
            guard let value = parts.first.flatMap({ Double($0) }), value > 0, value.isFinite, let unit else {
                throw ValidationError("--rate-limit: expected N/s or N/m, got \(rateLimit)")
            }
            return value / unit
        }
    }

    func validate() throws {
        _ = try rateLimitPerSecond
        guard RetryAfterStyle(rawValue: retryAfterStyle) != nil else {
            throw ValidationError("--retry-after-style: one of " + RetryAfterStyle.allCases.map(\.rawValue).joined(separator: ", "))
        }
        guard ["GET", "POST", "BOTH"].contains(cancelMethod.uppercased()) else { throw ValidationError("--cancel-method: GET, POST or both") }
        guard OfferCatalog.Shape(rawValue: replyShape) != nil else { throw ValidationError("--reply-shape: seed or docs") }
        if let pageSize, pageSize < 1 { throw ValidationError("--page-size must be at least 1") }
        if faultIgnorePage && pageSize == nil { throw ValidationError("--fault-ignore-page needs --page-size") }
        if let burst, burst < 1 { throw ValidationError("--burst must be at least 1") }
        if let capacity, capacity < 1 { throw ValidationError("--capacity must be at least 1") }
        if let penalty, !(penalty > 0 && penalty <= 86_400) { throw ValidationError("--penalty: seconds, more than 0 and at most 86400") }
        guard tokenLifetime >= 1 else { throw ValidationError("--token-lifetime must be at least 1 second") }
        let rates = [alreadyClosed, closing, sold, notFound, notOwned, fault500, fault502, fault503, fault429, faultDisconnect, faultTruncated, faultSuccessFalse, faultStall, faultToken, faultLostReply, fault502AfterApply]
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
        if tlsCert != nil && tlsSelfSigned != nil { throw ValidationError("--tls-self-signed or --tls-cert, not both") }
        if http2 && tlsCert == nil && tlsSelfSigned == nil { throw ValidationError("--http2 needs TLS: --tls-self-signed or --tls-cert") }
        if let revokeAfter, revokeAfter < 0 { throw ValidationError("--revoke-after must not be negative") }
        guard rates.allSatisfy({ (0...1).contains($0) }) else { throw ValidationError("shares and fault rates must be between 0 and 1") }
        guard alreadyClosed + closing + sold + notFound + notOwned <= 1 else { throw ValidationError("fate shares add up to more than 1") }
        guard fault500 + fault502 + fault503 + fault429 + faultDisconnect + faultTruncated + faultSuccessFalse + faultStall + faultLostReply + fault502AfterApply <= 1 else {
            throw ValidationError("fault rates add up to more than 1")
        }
    }

    func run() async throws {
        var configuration = demo ? MarketConfiguration.demo : fatesAndFaults()
        configuration.host = host
        configuration.port = port
        configuration.token = token
        configuration.clientID = clientId
        configuration.clientSecret = clientSecret
        configuration.tokenLifetime = tokenLifetime
        configuration.closeDelay = .milliseconds(closeDelayMs)
        configuration.seed = seed
        configuration.createsOffersOnFirstSight = !noFirstSight
        configuration.revokeAfter = revokeAfter
        configuration.cancelMethods = cancelMethod.uppercased() == "BOTH" ? ["GET", "POST"] : [cancelMethod.uppercased()]
        let rate = try rateLimitPerSecond
        configuration.gateway.rateLimit = rate
        configuration.gateway.burst = burst ?? max(1, Int((rate ?? 1).rounded(.up)))
        configuration.gateway.retryAfterStyle = RetryAfterStyle(rawValue: retryAfterStyle) ?? .seconds
        configuration.gateway.penalty = penalty.map { .milliseconds(Int64($0 * 1000)) }
        configuration.gateway.capacity = capacity
        if let fixture {
            configuration.offers = try MockOffer.fixture(path: fixture, defaultOwner: configuration.ownerID)
        }
        // The demo market has offers to list (the same ones in every run: the seed is fixed).
        let (seedOffers, contracts, mixedOffers) = demo && seedOffers == 0 ? (1_000, max(contracts, 3), true) : (seedOffers, contracts, mixed)
        configuration.contracts = max(1, contracts)
        configuration.listChunk = max(1, listChunk)
        configuration.listCutAfter = listCutAfter
        configuration.listPageSize = pageSize
        configuration.replyShape = OfferCatalog.Shape(rawValue: replyShape) ?? .seed
        configuration.listIgnoresPage = faultIgnorePage
        if let count = subUsers ?? (mixedOffers ? 3 : nil), count > 0 { configuration.subUsers = SubUser.seeded(count) }
        configuration.offers += MockOffer.seeded(count: seedOffers, ownerID: configuration.ownerID, seed: seed, mixed: mixedOffers, subUsers: configuration.subUsers)
        if let tlsCert, let tlsKey {
            configuration.tls = .init(certificateChain: tlsCert, privateKey: tlsKey, http2: http2)
        } else if let folder = tlsSelfSigned {
            let hosts = tlsHosts.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            configuration.tls = try SelfSignedTLS.make(in: folder, hosts: hosts, http2: http2)
            FileHandle.standardError.write(Data("arkane-mock: CA \(folder)/ca.pem, certificate for \(hosts.joined(separator: ", ")) in \(folder)/cert.pem\n".utf8))
        }

        let server = MockMarketServer(configuration: configuration)
        try await server.start(handlingSignals: true)
        print("listening on \(server.baseURL)")
        fflush(nil)  // the ready line must reach a pipe now, not at exit
        if stopAtEndOfInput { Self.stopAtEndOfInput(server) }
        try await server.waitUntilStopped()
    }

    /// The fates, faults and latency the options give.
    private func fatesAndFaults() -> MarketConfiguration {
        var configuration = MarketConfiguration()
        configuration.latency = .milliseconds(latencyMs)
        configuration.jitter = .milliseconds(jitterMs)
        configuration.stall = .milliseconds(stallMs)
        configuration.retryAfterSeconds = retryAfter
        configuration.scenario = mixed
            ? .mixed
            : .init(alreadyClosed: alreadyClosed, closing: closing, sold: sold, notFound: notFound, notOwned: notOwned)
        configuration.faults.internalError = fault500
        configuration.faults.badGateway = fault502
        configuration.faults.unavailable = fault503
        configuration.faults.rateLimited = fault429
        configuration.faults.disconnect = faultDisconnect
        configuration.faults.truncated = faultTruncated
        configuration.faults.successFalse = faultSuccessFalse
        configuration.faults.stall = faultStall
        configuration.faults.lostReply = faultLostReply
        configuration.faults.badGatewayAfterApply = fault502AfterApply
        configuration.tokenFaultRate = faultToken
        return configuration
    }

    /// Stops the server when standard input ends (read on a thread of its own).
    private static func stopAtEndOfInput(_ server: MockMarketServer) {
        Thread.detachNewThread {
            var buffer = [UInt8](repeating: 0, count: 512)
            while true {
                let count = read(STDIN_FILENO, &buffer, buffer.count)
                if count == 0 || (count < 0 && errno != EINTR) { break }
            }
            Task { await server.shutdown() }
        }
    }
}
