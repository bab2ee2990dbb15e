import CoreMetrics
import Prometheus

/// swift-metrics' factory over a swift-prometheus registry that gives every metric its help
/// text, from a table by label.
///
/// swift-prometheus's own `PrometheusMetricsFactory` makes each metric with an empty help
/// text, and then emits no `# HELP` line, which `promtool check metrics` refuses; and a family
/// registered once with help and again without stops the process. So the instruments are
/// swift-metrics' (`Counter(label:dimensions:factory:)`…), and this factory makes their
/// swift-prometheus counterparts with a `MetricNameDescriptor` that carries the help.
struct DescribedMetricsFactory: MetricsFactory {
    let registry: PrometheusCollectorRegistry
    /// Help text by metric name (a swift-metrics label is the Prometheus name here).
    let help: [String: String]
    /// Histogram buckets by the name of a timer.
    let buckets: [String: [Duration]]

    private func descriptor(_ label: String) -> MetricNameDescriptor {
        assert(help[label] != nil, "\(label) has no help text")
        return MetricNameDescriptor(metricName: label, unitName: "", helpText: help[label] ?? label)
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(descriptor: descriptor(label), labels: dimensions)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard aggregate else { return registry.makeGauge(descriptor: descriptor(label), labels: dimensions) }
        let bounds = (buckets[label] ?? []).map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 }
        return registry.makeValueHistogram(descriptor: descriptor(label), labels: dimensions, buckets: bounds)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        registry.makeDurationHistogram(descriptor: descriptor(label), labels: dimensions, buckets: buckets[label] ?? [])
    }

    // A run's instruments live as long as the run: none is ever destroyed.
    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    func destroyMeter(_ handler: any MeterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}
}
