import Foundation
import OfferCancelKit

extension APIOptions {
    /// With `--mock`, the simulated market's own token, whatever the environment holds (its
    /// `ARKANE_TOKEN` is for the real API, and the mock would refuse it).
    func credentials() throws -> Credentials {
        if mock { return .token(Secret(MockMarketProcess.token)) }
        let environment = ProcessInfo.processInfo.environment
        if let path = tokenFile {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw MarketClientError.configuration("--token-file \(path): cannot read it")
            }
            return .token(try Secret(validating: text.trimmingCharacters(in: .whitespacesAndNewlines), name: "--token-file \(path)"))
        }
        if let token = environment["ARKANE_TOKEN"], !token.isEmpty { return .token(try Secret(validating: token, name: "ARKANE_TOKEN")) }
        if let id = environment["ARKANE_CLIENT_ID"], let secret = environment["ARKANE_CLIENT_SECRET"], !id.isEmpty, !secret.isEmpty {
            _ = try Secret(validating: id, name: "ARKANE_CLIENT_ID")
            return .clientCredentials(id: id, secret: try Secret(validating: secret, name: "ARKANE_CLIENT_SECRET"), authURL: authURL)
        }
        throw MarketClientError.configuration(
            "no credentials: use --token-file, ARKANE_TOKEN, or ARKANE_CLIENT_ID with ARKANE_CLIENT_SECRET (or --mock, or --dry-run)")
    }
}
