/// Everything that shapes the simulated market's behaviour. All randomness is derived
/// from ``seed``, so a configuration always produces the same fates and faults.
public struct MarketConfiguration: Sendable {
    /// Address to bind; loopback by default. Port 0 picks a free port.
    public var host = "127.0.0.1"
    public var port = 0

    /// Serve HTTPS with this certificate and key instead of plain HTTP.
    public var tls: TLSFiles?

    /// A static bearer token that never expires.
    public var token = "mock-token"
    /// The one client allowed to obtain tokens at the token endpoint.
    public var clientID = "mock-client"
    public var clientSecret = "mock-secret"
    /// Lifetime of tokens issued at the token endpoint, in seconds (≥ 1).
    public var tokenLifetime: Int = 1800
    /// Withdraw the client's credentials after this many tokens were issued: the next token
    /// request is refused and every issued token stops working (credentials revoked mid-run).
    public var revokeAfter: Int?
    /// Share of token requests answered ``tokenFaultStatus``.
    public var tokenFaultRate = 0.0
    /// What a token fault answers: 503, or 404 as a gateway that lost the login's route for a moment.
    public var tokenFaultStatus = 503

    /// How long a cancelled offer stays CLOSING_OFFER before it is CLOSED.
    public var closeDelay: Duration = .milliseconds(500)
    /// Owner of the offers created on first sight, and the caller's identity.
    public var ownerID = "7cbc2bd3-b3d7-4d8e-bda8-173e56189f75"

    /// Fates of offers created on first sight, by share of IDs (each 0…1, sum ≤ 1).
    public var scenario = Scenario()
    /// Faults injected into offer routes, each a share of requests (0…1).
    public var faults = Faults()
    /// Added latency: `latency` plus a uniform random part up to `jitter`.
    public var latency: Duration = .zero
    public var jitter: Duration = .zero
    /// How long a stall fault holds a request before answering.
    public var stall: Duration = .seconds(30)
    /// `Retry-After` value sent with 429 replies, in seconds.
    public var retryAfterSeconds = 1

    /// The gateway in front of the API: rate limit, lock-outs, capacity.
    public var gateway = GatewayConfiguration()

    /// Seed for fates and faults.
    public var seed: UInt64 = 1

    /// Offers known from the start (from a fixture file or generated), in addition to
    /// those created on first sight.
    public var offers: [MockOffer] = []
    /// The replies' shape: the seed page's, or the later documentation's.
    public var replyShape = OfferCatalog.Shape.seed
    /// NFT contracts the offers are spread over (by a hash of the ID), on four chains.
    public var contracts = 1
    /// Sub-users of the caller's application: their offers are the caller's to list and cancel.
    public var subUsers: [SubUser] = []
    /// Offers per chunk of a list reply (the array is written as it is made, never whole).
    public var listChunk = 500
    /// A fault for list replies: the connection drops after this many offers.
    public var listCutAfter: Int?
    /// Page list replies this many offers at a time (a `pagination` member, as Venly's API);
    /// `nil`: the whole list in one reply, as the seed page shows.
    public var listPageSize: Int?
    /// A fault for paged lists: every request gets the first page, whatever it asks for.
    public var listIgnoresPage = false

    /// Whether the caller may act on offers of `owner`: its own and its sub-users'.
    func owns(_ owner: String) -> Bool {
        owner == ownerID || subUsers.contains { $0.id == owner }
    }
    /// The methods `/offers/{id}/cancel` takes; the other one is answered 405 in the API's
    /// envelope ("Request method 'GET' not supported"), changing nothing.
    public var cancelMethods: Set<String> = ["GET", "POST"]
    /// Whether an unknown well-formed UUID becomes a new offer (`true`) or is a 404.
    public var createsOffersOnFirstSight = true

    public init() {}

    /// The market `offer-cancel --mock` starts (`arkane-mock --demo`): some of every fate, a
    /// little latency, and a few 503s and 429s to retry.
    public static var demo: MarketConfiguration {
        var configuration = MarketConfiguration()
        configuration.scenario = .mixed
        configuration.latency = .milliseconds(2)
        configuration.jitter = .milliseconds(8)
        configuration.faults.unavailable = 0.03
        configuration.faults.rateLimited = 0.01
        configuration.retryAfterSeconds = 1
        return configuration
    }

    /// The PEM files the market serves HTTPS with.
    public struct TLSFiles: Sendable, Equatable {
        /// The server's certificate (and any intermediates), PEM.
        public var certificateChain: String
        /// Its private key, PEM.
        public var privateKey: String
        /// Offer HTTP/2 as well as HTTP/1.1 (by ALPN); without it, HTTP/1.1 only.
        public var http2: Bool

        public init(certificateChain: String, privateKey: String, http2: Bool) {
            self.certificateChain = certificateChain
            self.privateKey = privateKey
            self.http2 = http2
        }
    }

    /// Shares of first-sight offers that are not simply READY.
    public struct Scenario: Sendable, Equatable {
        public var alreadyClosed = 0.0
        public var closing = 0.0
        public var sold = 0.0
        public var notFound = 0.0
        public var notOwned = 0.0

        public init(alreadyClosed: Double = 0, closing: Double = 0, sold: Double = 0, notFound: Double = 0, notOwned: Double = 0) {
            self.alreadyClosed = alreadyClosed
            self.closing = closing
            self.sold = sold
            self.notFound = notFound
            self.notOwned = notOwned
        }

        /// A mix with some of every fate, as `make demo` shows.
        public static let mixed = Scenario(alreadyClosed: 0.1, closing: 0.05, sold: 0.05, notFound: 0.05, notOwned: 0.05)
    }

    /// Shares of offer-route requests that meet each fault.
    public struct Faults: Sendable, Equatable {
        public var internalError = 0.0      // 500
        public var badGateway = 0.0         // 502
        public var unavailable = 0.0        // 503
        public var rateLimited = 0.0        // 429 + Retry-After (seconds and HTTP-date forms alternate)
        public var disconnect = 0.0         // connection closed mid-reply
        public var truncated = 0.0          // 200 with a truncated JSON body
        public var successFalse = 0.0       // 200 with "success": false
        public var stall = 0.0              // no answer for `stall`
        public var lostReply = 0.0          // the cancel is applied, then the connection drops
        public var badGatewayAfterApply = 0.0  // the cancel is applied, then a proxy answers 502

        public init() {}

        /// Every kind, in the order their shares are laid out on [0, 1).
        public static let kinds: [FaultKind] = FaultKind.allCases

        func rate(of kind: FaultKind) -> Double {
            switch kind {
            case .internalError: internalError
            case .badGateway: badGateway
            case .unavailable: unavailable
            case .rateLimited: rateLimited
            case .disconnect: disconnect
            case .truncated: truncated
            case .successFalse: successFalse
            case .stall: stall
            case .lostReply: lostReply
            case .badGatewayAfterApply: badGatewayAfterApply
            }
        }
    }
}

/// A fault the market can inject; the raw value names it in stats and flags.
public enum FaultKind: String, Sendable, CaseIterable {
    case internalError = "500"
    case badGateway = "502"
    case unavailable = "503"
    case rateLimited = "429"
    case disconnect
    case truncated
    case successFalse = "success-false"
    case stall
    case lostReply = "lost-reply"
    case badGatewayAfterApply = "502-after-apply"
}
