import Prometheus

/// The server's Prometheus metrics, in a registry of its own (not the process-wide `MetricsSystem`, so
/// several servers in one process, as in tests, keep separate counts).
public final class ServerMetrics: Sendable {
    /// The registry that `GET /metrics` renders.
    public let registry: PrometheusCollectorRegistry

    let pushes: Counter
    let pulls: Counter
    let recordsPushed: Counter
    let recordsWritten: Counter
    let recordsMerged: Counter
    let recordsConflicted: Counter
    let recordsPulled: Counter
    let enrolments: Counter

    /// Creates the metrics in a fresh registry.
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        func counter(_ name: String, _ help: String) -> Counter {
            registry.makeCounter(descriptor: Self.descriptor(name, unit: "total", help: help))
        }
        pushes = counter("pushes", "Push batches applied")
        pulls = counter("pulls", "Pull pages served")
        recordsPushed = counter("records_pushed", "Records received in push batches")
        recordsWritten = counter("records_written", "Pushed records that changed the server's state")
        recordsMerged = counter("records_merged", "Pushed records answered with the server's merged version")
        recordsConflicted = counter(
            "records_conflicted", "Pushed records whose merged state holds a conflict for a person to resolve")
        recordsPulled = counter("records_pulled", "Records served by pulls")
        enrolments = counter("enrolments", "Devices enrolled")
    }

    /// Counts one answered request and records its duration.
    func recordRequest(route: String, method: String, status: Int, duration: Duration) {
        registry.makeCounter(
            descriptor: Self.descriptor("http_requests", unit: "total", help: "HTTP requests answered"),
            labels: [("route", route), ("method", method), ("status", String(status))]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: Self.descriptor("http_request_duration", unit: "seconds", help: "HTTP request latency"),
            labels: [("route", route), ("method", method)],
            buckets: Self.latencyBuckets
        ).recordNanoseconds(duration.nanoseconds)
    }

    /// The metrics in the Prometheus text exposition format.
    public func render() -> String {
        registry.emitToString()
    }

    static func descriptor(_ name: String, unit: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "fieldsync", metricName: name, unitName: unit, helpText: help)
    }

    static let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5),
        .seconds(5),
    ]
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
