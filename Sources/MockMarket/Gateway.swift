import JSONStream
import NIOConcurrencyHelpers

/// What a gateway in front of the API enforces: its limits were never published, and a
/// client only learns them from 429s and 503s.
public struct GatewayConfiguration: Sendable, Equatable {
    /// Requests per second each client may send (a token bucket per client); `nil`: no limit.
    public var rateLimit: Double?
    /// Requests a client may send at once above the rate (the bucket's size, ≥ 1).
    public var burst = 1
    /// How a 429 names the moment to come back.
    public var retryAfterStyle = RetryAfterStyle.seconds
    /// Lock a client out for this long when more than 30 % of its requests in a 2-second
    /// window (0–2 s, 2–4 s, … of the gateway's life; judged when the window closes) were
    /// rejected, and it sent at least a second's worth of the rate in that window (a client that keeps hammering after 429s); `nil`: never.
    public var penalty: Duration?
    /// Requests served at once, across clients, before the gateway answers 503; `nil`: no cap.
    public var capacity: Int?

    public init() {}

    /// Whether the gateway lets everything through.
    var isOpen: Bool { rateLimit == nil && capacity == nil }
}

/// The forms of `Retry-After` a gateway sends with its 429s.
public enum RetryAfterStyle: String, Sendable, CaseIterable {
    /// Delay in whole seconds.
    case seconds
    /// An HTTP-date.
    case date
    /// No `Retry-After` header at all.
    case none
    /// Seconds and dates, alternating.
    case mixed
}

/// The gateway's decisions and accounting, behind one lock; its limits can change while the
/// market runs (`POST /__mock/config`).
final class Gateway: Sendable {
    /// Why a request was turned away.
    enum Refusal: Equatable {
        /// 429: over the client's rate, or locked out; come back after this many seconds.
        case rateLimited(retryAfter: Int, lockedOut: Bool)
        /// 503: more requests at once than the gateway serves.
        case overCapacity
    }

    private struct Client {
        var tokens: Double
        var refilledAt: ContinuousClock.Instant
        var lockedUntil: ContinuousClock.Instant?
        /// The current 2-second window: its index, requests and rejections.
        var window = (index: 0, sent: 0, rejected: 0)
    }

    /// One second of the gateway's life, for the stats' series.
    struct Second {
        var accepted = 0
        var rejected = 0
        var overCapacity = 0
    }

    private struct State {
        var configuration: GatewayConfiguration
        var started = ContinuousClock.now
        var clients: [String: Client] = [:]
        var inFlight = 0
        var accepted = 0
        var rejected = 0
        var lockOuts = 0
        var overCapacity = 0
        var series: [Second] = []
        var refusals = 0
    }

    private let initial: GatewayConfiguration
    private let state: NIOLockedValueBox<State>

    init(configuration: GatewayConfiguration) {
        initial = configuration
        state = NIOLockedValueBox(State(configuration: configuration))
    }

    /// Back to the configuration it started with, every count and client forgotten.
    func reset() {
        state.withLockedValue { $0 = State(configuration: initial) }
    }

    var configuration: GatewayConfiguration { state.withLockedValue { $0.configuration } }

    /// Changes the limits from now on, from a JSON object with any of `rateLimit` (per second,
    /// or null), `burst`, `capacity` (or null), `penalty` (seconds, or null) and
    /// `retryAfterStyle`. Buckets keep their tokens, up to the new burst. Returns what is
    /// wrong with `change`, if anything (then nothing changes).
    func apply(_ change: JSONValue) -> String? {
        guard change.kind == .object else { return "expected a JSON object" }
        var next = configuration
        for (key, value) in change.members {
            let number = value.number
            switch key {
            case "rateLimit" where value.kind == .null: next.rateLimit = nil
            case "rateLimit": guard let number, number > 0, number.isFinite else { return "rateLimit: a number > 0, or null" }
                next.rateLimit = number
            case "burst": guard let number, number >= 1, number < 1e9 else { return "burst: a number ≥ 1" }
                next.burst = Int(number)
            case "capacity" where value.kind == .null: next.capacity = nil
            case "capacity": guard let number, number >= 1, number < 1e9 else { return "capacity: a number ≥ 1, or null" }
                next.capacity = Int(number)
            case "penalty" where value.kind == .null: next.penalty = nil
            case "penalty": guard let number, number > 0, number < 86_400 else { return "penalty: seconds > 0, or null" }
                next.penalty = .milliseconds(Int64(number * 1000))
            case "retryAfterStyle": guard let style = value.string.flatMap(RetryAfterStyle.init(rawValue:)) else {
                    return "retryAfterStyle: one of " + RetryAfterStyle.allCases.map(\.rawValue).joined(separator: ", ")
                }
                next.retryAfterStyle = style
            default: return "unknown setting \(key)"
            }
        }
        state.withLockedValue { $0.configuration = next }
        return nil
    }

    /// Admits a request from `client` or says why not. An admitted request must be ended
    /// with ``leave()``.
    func admit(client: String, now: ContinuousClock.Instant = .now) -> Refusal? {
        state.withLockedValue { state in
            let second = max(0, Int((now - state.started).components.seconds))
            while state.series.count <= second { state.series.append(Second()) }
            let refusal = Self.decide(&state, client: client, now: now, second: second)
            switch refusal {
            case nil:
                state.accepted += 1
                state.series[second].accepted += 1
                state.inFlight += 1
            case .rateLimited?:
                state.rejected += 1
                state.series[second].rejected += 1
            case .overCapacity?:
                state.overCapacity += 1
                state.series[second].overCapacity += 1
            }
            if refusal != nil { state.refusals += 1 }
            return refusal
        }
    }

    func leave() {
        state.withLockedValue { $0.inFlight -= 1 }
    }

    /// Whether the next 429's `Retry-After` is an HTTP-date (true) or seconds (false); `nil`: none.
    func retryAfterIsDate() -> Bool? {
        state.withLockedValue { state in
            switch state.configuration.retryAfterStyle {
            case .seconds: false
            case .date: true
            case .none: nil
            case .mixed: state.refusals % 2 == 0
            }
        }
    }

    private static func decide(_ state: inout State, client name: String, now: ContinuousClock.Instant, second: Int) -> Refusal? {
        let configuration = state.configuration
        if let capacity = configuration.capacity, state.inFlight >= capacity { return .overCapacity }
        guard let rate = configuration.rateLimit else { return nil }
        var client = state.clients[name] ?? Client(tokens: Double(configuration.burst), refilledAt: now)
        defer { state.clients[name] = client }
        client.tokens = min(Double(configuration.burst), client.tokens + rate * Double((now - client.refilledAt).nanoseconds) / 1e9)
        client.refilledAt = now
        if client.window.index != second / 2 {
            // A window closed: a client that had more than 30 % of it rejected is locked out.
            let closed = client.window
            client.window = (second / 2, 0, 0)
            // Sustained: at least a second's worth of requests in the window, not a lone burst.
            if let penalty = configuration.penalty, closed.index == second / 2 - 1, Double(closed.sent) >= max(10, rate),
               Double(closed.rejected) > 0.3 * Double(closed.sent) {
                client.lockedUntil = now + penalty
                state.lockOuts += 1
            }
        }
        client.window.sent += 1
        if let lockedUntil = client.lockedUntil, lockedUntil > now {
            client.window.rejected += 1
            return .rateLimited(retryAfter: Self.wholeSeconds(lockedUntil - now), lockedOut: true)
        }
        if client.tokens >= 1 {
            client.tokens -= 1
            return nil
        }
        client.window.rejected += 1
        // The next token comes in 1/rate seconds; Retry-After has whole seconds.
        return .rateLimited(retryAfter: Self.wholeSeconds(.nanoseconds(Int64(min(1e9 / rate, 3.6e12)))), lockedOut: false)
    }

    private static func wholeSeconds(_ duration: Duration) -> Int {
        max(1, Int((Double(duration.nanoseconds) / 1e9).rounded(.up)))
    }

    func statsJSON() -> JSONValue {
        state.withLockedValue { state in
            .object([
                ("rateLimit", state.configuration.rateLimit.map { .real($0) } ?? .null),
                ("burst", .integer(Int64(state.configuration.burst))),
                ("capacity", state.configuration.capacity.map { .integer(Int64($0)) } ?? .null),
                ("accepted", .integer(Int64(state.accepted))),
                ("rejected", .integer(Int64(state.rejected))),
                ("lockOuts", .integer(Int64(state.lockOuts))),
                ("overCapacity", .integer(Int64(state.overCapacity))),
                ("perSecond", .array(state.series.map { second in
                    .object([
                        ("accepted", .integer(Int64(second.accepted))),
                        ("rejected", .integer(Int64(second.rejected))),
                        ("overCapacity", .integer(Int64(second.overCapacity))),
                    ])
                })),
            ])
        }
    }
}

extension Duration {
    /// The whole duration in nanoseconds, saturating.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? (seconds < 0 ? .min : .max) : whole &+ attoseconds / 1_000_000_000
    }
}
