import Foundation
import Hummingbird
import JSONStream
import NIOCore

/// The market's HTTP surface. Error codes here are the simulated API's contract (listed in
/// the README) that the client classifies.
struct MarketRoutes: Sendable {
    let state: MarketState
    var configuration: MarketConfiguration { state.configuration }

    func router() -> Router<MarketContext> {
        let router = Router(context: MarketContext.self)
        // The seed page cancels by GET, the later documentation by POST (`--cancel-method`).
        for method in [HTTPRequest.Method.get, .post] {
            router.on("offers/:id/cancel", method: method) { request, context in
                guard configuration.cancelMethods.contains(method.rawValue) else { return methodNotAllowed(method) }
                return try await offerRoute("cancel", request: request, context: context) { id in cancelReply(id: id) }
            }
        }
        router.get("offers/:id") { request, context in
            try await offerRoute("offer", request: request, context: context) { id in
                guard let offer = state.offer(id: id), configuration.owns(offer.ownerID) else {
                    return Self.failure(.notFound, code: "offer.not-found", message: "Offer \(id) not found")
                }
                return Self.success(OfferRenderer.render(offer, catalog: state.catalog))
            }
        }
        router.get("user/offers") { request, _ in listRoute(request, subUser: nil) }
        router.get("users/:subUserId/offers") { request, context in listRoute(request, subUser: context.parameters.get("subUserId") ?? "") }
        router.post("auth/realms/Arkane/protocol/openid-connect/token") { request, _ in try await tokenRoute(request) }
        router.get("__mock/stats") { _, _ in Self.json(.ok, state.statsJSON()) }
        router.post("__mock/config") { request, _ in
            let body = try await request.body.collect(upTo: 64 * 1024)
            guard let change = try? JSONValue.parse(Array(buffer: body)) else {
                return Self.failure(.badRequest, code: "mock.bad-config", message: "the body is not JSON")
            }
            if let error = state.gateway.apply(change) { return Self.failure(.badRequest, code: "mock.bad-config", message: error) }
            return Self.json(.ok, state.gateway.statsJSON())
        }
        router.post("__mock/reset") { _, _ in
            state.reset()
            return Self.json(.ok, .object([("success", .bool(true))]))
        }
        // Anything else — a wrong base path — is counted, then answered as a bare 404 with
        // an empty body, as a gateway in front of the API would.
        for method in [HTTPRequest.Method.get, .post, .put, .delete] {
            router.on("**", method: method) { _, _ in
                _ = state.begin(route: "unknown", faultable: false)
                state.end()
                return Response(status: .notFound)
            }
        }
        return router
    }

    // MARK: The token endpoint

    /// The OAuth client-credentials grant: a token for the configured client, or the error
    /// an identity server answers.
    private func tokenRoute(_ request: Request) async throws -> Response {
        _ = state.begin(route: "token", faultable: false)
        defer { state.end() }
        let body = try await request.body.collect(upTo: 64 * 1024)
        let form = Self.parseForm(String(buffer: body))
        guard form["grant_type"] == "client_credentials" else {
            return Self.json(.badRequest, .object([("error", .string("unsupported_grant_type"))]))
        }
        if state.tokenEndpointFails() {
            return Self.json(HTTPResponse.Status(code: configuration.tokenFaultStatus), .object([("error", .string("temporarily_unavailable"))]))
        }
        guard form["client_id"] == configuration.clientID, form["client_secret"] == configuration.clientSecret,
              let token = state.issueToken() else {
            return Self.json(.unauthorized, .object([("error", .string("invalid_client")), ("error_description", .string("Invalid client credentials"))]))
        }
        return Self.json(.ok, .object([
            ("access_token", .string(token)),
            ("expires_in", .integer(Int64(configuration.tokenLifetime))),
            ("token_type", .string("Bearer")),
        ]))
    }

    // MARK: Offer routes

    /// Counts, authorises, injects faults and latency, then answers with `reply`.
    private func offerRoute(
        _ route: String,
        request: Request,
        context: MarketContext,
        reply: @Sendable (String) -> Response
    ) async throws -> Response {
        let fault = state.begin(route: route, faultable: true, over: context.httpProtocol)
        defer { state.end() }
        let id = (context.parameters.get("id") ?? "").lowercased()
        // The gateway answers before the API sees the request: no state changes, no call counted.
        if let refusal = state.gateway.admit(client: request.headers[.authorization] ?? "anonymous") {
            return gatewayReply(refusal)
        }
        defer { state.gateway.leave() }
        if route == "cancel" { state.recordCancelCall(id: id) }
        if let denied = authorize(request) { return denied }
        try await sleepLatency()
        if let fault { return try await inject(fault, route: route, id: id, reply: reply) }
        return reply(id)
    }

    /// A method the cancel route does not take: counted apart, nothing changes.
    private func methodNotAllowed(_ method: HTTPRequest.Method) -> Response {
        _ = state.begin(route: "method-not-allowed", faultable: false)
        defer { state.end() }
        var response = Self.failure(.methodNotAllowed, code: "request.method-not-supported", message: "Request method '\(method.rawValue)' not supported")
        response.headers[.allow] = configuration.cancelMethods.sorted().joined(separator: ", ")
        return response
    }

    private func cancelReply(id: String) -> Response {
        switch state.cancel(id: id) {
        case .accepted(let offer):
            // As in the seed reply: the offer as it was when the cancel was accepted.
            return Self.success(OfferRenderer.render(offer, catalog: state.catalog))
        case .alreadyClosed(let offer):
            return Self.failure(.conflict, code: "offer.already-closed", message: "Offer \(id) is already \(offer.status.rawValue)")
        case .notCancellable(let offer):
            return Self.failure(.conflict, code: "offer.not-cancellable", message: "Offer \(id) is \(offer.status.rawValue) and cannot be cancelled")
        case .notOwned:
            return Self.failure(.forbidden, code: "offer.not-owner", message: "Offer \(id) does not belong to you")
        case .notFound:
            return Self.failure(.notFound, code: "offer.not-found", message: "Offer \(id) not found")
        }
    }

    private func gatewayReply(_ refusal: Gateway.Refusal) -> Response {
        switch refusal {
        case .overCapacity:
            return Self.failure(.serviceUnavailable, code: "service.unavailable", message: "Over capacity; try again shortly")
        case .rateLimited(let seconds, let lockedOut):
            var response = Self.failure(.tooManyRequests, code: "rate.limited",
                                        message: lockedOut ? "Too many rejected requests: locked out" : "Too many requests")
            if let asDate = state.gateway.retryAfterIsDate() {
                response.headers[.retryAfter] = Self.retryAfter(seconds: seconds, asDate: asDate)
            }
            return response
        }
    }

    func authorize(_ request: Request) -> Response? {
        switch state.check(authorization: request.headers[.authorization]) {
        case .valid: nil
        case .missing: Self.failure(.unauthorized, code: "auth.missing-token", message: "Authorization header with a Bearer token is required")
        case .invalid: Self.failure(.unauthorized, code: "auth.invalid-token", message: "The token is not valid")
        case .expired: Self.failure(.unauthorized, code: "auth.token-expired", message: "The token has expired")
        }
    }

    private func sleepLatency() async throws {
        let jitter = configuration.jitter == .zero ? .zero : configuration.jitter * state.jitterDraw()
        let total = configuration.latency + jitter
        if total > .zero { try await Task.sleep(for: total) }
    }

    private func inject(_ fault: FaultKind, route: String, id: String, reply: (String) -> Response) async throws -> Response {
        switch fault {
        case .internalError:
            return Self.failure(.internalServerError, code: "internal.error", message: "Simulated internal error")
        case .badGateway:
            return Self.failure(.badGateway, code: "gateway.bad", message: "Simulated bad gateway")
        case .unavailable:
            return Self.failure(.serviceUnavailable, code: "service.unavailable", message: "Simulated maintenance")
        case .rateLimited:
            if route == "cancel" { state.noteRateLimited(id: id) }
            var response = Self.failure(.tooManyRequests, code: "rate.limited", message: "Too many requests")
            response.headers[.retryAfter] = Self.retryAfter(seconds: configuration.retryAfterSeconds, asDate: id.utf8.last.map { $0 & 1 == 1 } ?? false)
            return response
        case .successFalse:
            return Self.failure(.ok, code: "offer.cancel-failed", message: "The market could not process the cancel")
        case .truncated:
            var bytes = Self.encode(Self.envelope(success: OfferRenderer.render(MockOffer(id: id, ownerID: configuration.ownerID), catalog: state.catalog)))
            bytes.moveWriterIndex(to: bytes.readableBytes / 2)
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: bytes))
        case .disconnect:
            let full = Self.encode(Self.envelope(success: OfferRenderer.render(MockOffer(id: id, ownerID: configuration.ownerID), catalog: state.catalog)))
            let half = full.getSlice(at: 0, length: full.readableBytes / 2)!
            // Promise the whole body, send half, then fail the writer: the server drops the connection.
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(contentLength: full.readableBytes) { writer in
                try await writer.write(half)
                throw MockFault.disconnected
            })
        case .stall:
            try await Task.sleep(for: configuration.stall)
            return reply(id)
        case .lostReply:
            // The fault that matters most to a cancel tool: the backend applied it, the reply never came.
            _ = reply(id)
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(contentLength: 64) { _ in
                throw MockFault.disconnected
            })
        case .badGatewayAfterApply:
            _ = reply(id)
            return Self.failure(.badGateway, code: "gateway.bad", message: "Simulated bad gateway after the backend applied the request")
        }
    }

    /// `Retry-After` in seconds, or as an HTTP-date that many seconds ahead.
    static func retryAfter(seconds: Int, asDate: Bool) -> String {
        guard asDate else { return String(seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        // HTTP-dates have whole seconds; round up so a client never waits less than asked.
        return formatter.string(from: Date(timeIntervalSinceNow: Double(seconds) + 1))
    }

    // MARK: Envelopes

    static func envelope(success result: JSONValue) -> JSONValue {
        .object([("success", .bool(true)), ("result", result)])
    }

    static func success(_ result: JSONValue) -> Response {
        json(.ok, envelope(success: result))
    }

    static func failure(_ status: HTTPResponse.Status, code: String, message: String) -> Response {
        let traceCode = String(Hashing.fnv1a(code + message), radix: 16)
        return json(status, .object([
            ("success", .bool(false)),
            ("errors", .array([.object([("code", .string(code)), ("traceCode", .string(traceCode)), ("message", .string(message))])])),
        ]))
    }

    static func json(_ status: HTTPResponse.Status, _ value: JSONValue) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: encode(value)))
    }

    static func encode(_ value: JSONValue) -> ByteBuffer {
        var buffer = JSONWriteBuffer()
        buffer.append(value)
        return ByteBuffer(bytes: buffer.bytes)
    }

    static func parseForm(_ text: String) -> [String: String] {
        var form: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                $0.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
            }
            form[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        return form
    }
}

/// Thrown from a reply body writer to make the server drop the connection mid-reply.
enum MockFault: Error { case disconnected }
