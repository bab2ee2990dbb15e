import Foundation

/// A fresh certificate authority and a server certificate it signed, for serving HTTPS in tests
/// and demos (`arkane-mock --tls-self-signed DIR`). Made by the `openssl` command (Debian's
/// `openssl` package): P-256 keys, valid for two days, never reused between runs.
public enum SelfSignedTLS {
    /// Writes `ca.pem` (the CA certificate a client trusts with `--cacert`), `ca-key.pem`,
    /// `cert.pem` and `key.pem` (the server's) into `folder`, the server's certificate issued
    /// for `hosts` (names and IP addresses). Returns the files to serve with.
    public static func make(in folder: String, hosts: [String], http2: Bool) throws -> MarketConfiguration.TLSFiles {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let names = hosts.map { host in
            host.contains(":") || host.allSatisfy({ $0.isNumber || $0 == "." }) ? "IP:\(host)" : "DNS:\(host)"
        }
        let extensions = folder + "/server.ext"
        try """
            subjectAltName=\(names.joined(separator: ","))
            basicConstraints=critical,CA:FALSE
            keyUsage=critical,digitalSignature
            extendedKeyUsage=serverAuth

            """.write(toFile: extensions, atomically: true, encoding: .utf8)
        let curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        try openssl(["req", "-x509"] + curve + ["-days", "2", "-subj", "/CN=arkane-mock test CA",
                     "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                     "-keyout", folder + "/ca-key.pem", "-out", folder + "/ca.pem"])
        try openssl(["req"] + curve + ["-subj", "/CN=\(hosts.first ?? "localhost")", "-keyout", folder + "/key.pem", "-out", folder + "/server.csr"])
        let serial = "0x" + (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        try openssl(["x509", "-req", "-in", folder + "/server.csr", "-CA", folder + "/ca.pem", "-CAkey", folder + "/ca-key.pem",
                     "-set_serial", serial, "-days", "2", "-extfile", extensions, "-out", folder + "/cert.pem"])
        try? FileManager.default.removeItem(atPath: folder + "/server.csr")
        try? FileManager.default.removeItem(atPath: extensions)
        return .init(certificateChain: folder + "/cert.pem", privateKey: folder + "/key.pem", http2: http2)
    }

    private static func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw SelfSignedTLSError(description: "--tls-self-signed needs the openssl command: \(error)")
        }
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw SelfSignedTLSError(description: "openssl \(arguments.first ?? "") failed: \(text.split(separator: "\n").first ?? "")")
        }
    }
}

/// The certificates for `--tls-self-signed` could not be made.
public struct SelfSignedTLSError: Error, CustomStringConvertible {
    public let description: String
}
