import Hummingbird

/// The request context of the market's routes: Hummingbird's basic one, plus the protocol the
/// request came over, which the stats count (`protocols`), so a test can tell that a client
/// really spoke HTTP/2.
struct MarketContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// `h2` or `http/1.1`.
    let httpProtocol: String

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        // An HTTP/2 request arrives on a stream channel whose parent is the connection (whose
        // parent is the listening socket); an HTTP/1 request on the connection itself.
        httpProtocol = source.channel.parent?.parent == nil ? "http/1.1" : "h2"
    }
}
