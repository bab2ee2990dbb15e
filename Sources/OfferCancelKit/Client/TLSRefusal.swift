import NIOSSL

/// A TLS handshake the client refused because the server's certificate could not be verified:
/// an unknown CA, an expired certificate, or one issued for another host. No request was sent,
/// and none will be until the configuration changes, so the run stops (exit 3) instead of
/// retrying every offer.
struct TLSRefusal: CustomStringConvertible {
    let description: String

    /// The refusal `error` is, or `nil` when it is something else (a reset, a timeout).
    init?(_ error: any Error) {
        if let extra = error as? NIOSSLExtraError, extra == .failedToValidateHostname {
            description = "TLS: the server's certificate was not issued for this host name (check --base-url)"
        } else if case NIOSSLError.handshakeFailed(let reason)? = error as? NIOSSLError, "\(reason)".contains("CERTIFICATE_VERIFY_FAILED") {
            description = "TLS: the server's certificate could not be verified (CERTIFICATE_VERIFY_FAILED: an unknown CA, or a certificate expired or issued for another host); if it comes from a private CA, name that CA with --cacert PATH"
        } else {
            return nil
        }
    }
}
