import Foundation
import Logging
import ServiceLifecycle

/// Applies the teams' saved retention rules (``Retention/runSavedRules(asOf:)``) once every `interval` while the
/// server serves: it looks every `check` (at most ten minutes, the first time that long after start-up, when the
/// storage is migrated) whether `interval` has passed since its last successful run, so a server restarted daily
/// still runs it, and a failed run is tried again at the next look. Several processes sharing one database each
/// run it; a second run finds nothing left to purge.
struct RetentionService: Service {
    let retention: Retention
    let interval: Duration
    let logger: Logger

    var check: Duration { min(interval, .seconds(600)) }

    func run() async throws {
        var lastRun: ContinuousClock.Instant?
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            _ = try? await cancelWhenGracefulShutdown { try await Task.sleep(for: check) }
            guard !Task.isCancelled && !Task.isShuttingDownGracefully else { return }
            if let lastRun, ContinuousClock.now - lastRun < interval { continue }
            do {
                for outcome in try await retention.runSavedRules() {
                    if !outcome.purged.isEmpty || !outcome.changedMeanwhile.isEmpty {
                        logger.notice(
                            "retention purged records",
                            metadata: [
                                "team": "\(outcome.plan.team)", "rule": "closed-after \(outcome.plan.closedAfter)",
                                "subjects": "\(outcome.purged.count { $0.hasPrefix("subjects/") })",
                                "records": "\(outcome.purged.count)",
                                "changed_meanwhile": "\(outcome.changedMeanwhile.count)",
                            ])
                    }
                }
                lastRun = ContinuousClock.now
            } catch {
                logger.error("retention failed; retrying at the next check", metadata: ["error": "\(error)"])
            }
        }
    }
}
