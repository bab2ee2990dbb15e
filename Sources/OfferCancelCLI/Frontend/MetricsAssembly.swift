import OfferCancelKit
import RunMetrics

extension CancelFrontend {
    /// `--metrics-listen` and `--metrics-textfile`: the run's instruments, the textfile checked
    /// and claimed (it can never replace an input, a log or a sink's file), the endpoint bound —
    /// all before anything is sent. `nil` when neither is asked for.
    func makeMetricsExporter(targets: SinkTargets) async throws -> MetricsExporter? {
        guard output.metricsListen != nil || output.metricsTextfile != nil else { return nil }
        let metrics = RunMetrics(shard: input.shard)
        var textfile: MetricsTextfile?
        if let path = output.metricsTextfile {
            textfile = try MetricsTextfile(path: path)
            try targets.claimWrite(path, for: "--metrics-textfile \(path)", appending: false)
        }
        var endpoint: MetricsEndpoint?
        if let address = try output.metricsAddress {
            let bound = try await MetricsEndpoint.start(address, metrics: metrics)
            // A port the system chose is known only from this line.
            if !output.quiet || address.port == 0 { console.note("metrics: http://\(bound.address)/metrics") }
            endpoint = bound
        }
        return MetricsExporter(metrics: metrics, textfile: textfile, endpoint: endpoint, linger: .milliseconds(Int64(output.metricsLinger * 1000)),
                               report: { console.note($0) })
    }
}
