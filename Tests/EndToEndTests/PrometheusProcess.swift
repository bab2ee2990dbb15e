import AsyncHTTPClient
import Foundation
import JSONStream

/// Debian's `prometheus`, scraping `targets` every second into a folder of its own, its HTTP
/// API on `port`; stopped on deinit.
final class PrometheusProcess {
    let process = Process()
    let port: Int
    let targets: [String]

    init(scraping targets: [String], port: Int, folder: String) throws {
        self.port = port
        self.targets = targets
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let config = folder + "/prometheus.yml"
        try """
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
            scrape_configs:
              - job_name: offer-cancel
                static_configs:
                  - targets: [\(targets.map { "'\($0)'" }.joined(separator: ", "))]
            """.write(toFile: config, atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/prometheus")
        process.arguments = ["--config.file=\(config)", "--storage.tsdb.path=\(folder)/data", "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, process.isRunning {
            if (try? shell("exec 3<>/dev/tcp/127.0.0.1/\(port)").status) == 0 { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw HarnessError("prometheus did not start on port \(port)")
    }

    deinit {
        process.terminate()
        process.waitUntilExit()
    }

    /// Returns once every target has a scrape loop. Prometheus applies its targets some
    /// seconds after its port opens (its scrape manager takes target updates every 5 s): a
    /// process that came and went before then would never be scraped.
    func waitUntilScraping() async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/targets?state=active")
            if let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(10)),
               let body = try? await response.body.collect(upTo: 1 << 20),
               let reply = try? JSONValue.parse(Array(body.readableBytesView)),
               reply["data"]?["activeTargets"]?.count == targets.count {
                return
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw HarnessError("prometheus did not take its \(targets.count) targets within 60 s")
    }

    /// The one value of the instant query `promQL`, through the HTTP API.
    func query(_ promQL: String) async throws -> Double? {
        var components = URLComponents(string: "http://127.0.0.1:\(port)/api/v1/query")!
        components.queryItems = [URLQueryItem(name: "query", value: promQL)]
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: components.url!.absoluteString), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        let value = try JSONValue.parse(Array(body.readableBytesView))["data"]?["result"]?[0]?["value"]?[1]?.string
        return value.flatMap(Double.init)
    }
}
