import Foundation

/// Durations of repeated operations, in seconds, with the summary figures the report prints.
struct LatencySamples {
    private(set) var seconds: [Double] = []

    init() {}

    mutating func append(_ duration: Duration) {
        seconds.append(duration.inSeconds)
    }

    mutating func append(seconds value: Double) {
        seconds.append(value)
    }

    var count: Int { seconds.count }
    var total: Double { seconds.reduce(0, +) }
    var mean: Double { seconds.isEmpty ? 0 : total / Double(seconds.count) }

    /// The nearest-rank percentile (`fraction` in 0...1).
    func percentile(_ fraction: Double) -> Double {
        guard !seconds.isEmpty else { return 0 }
        let sorted = seconds.sorted()
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    var p50: Double { percentile(0.50) }
    var p99: Double { percentile(0.99) }
    /// Operations per second over the summed durations.
    var perSecond: Double { total > 0 ? Double(count) / total : 0 }
}

extension Duration {
    var inSeconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
    }
}

/// Runs `body` and returns its result and how long it took on the monotonic clock.
func measure<T>(_ body: () throws -> T) rethrows -> (T, Duration) {
    let clock = ContinuousClock()
    let start = clock.now
    let result = try body()
    return (result, clock.now - start)
}
