import Logging
import ServiceLifecycle

/// Runs `job` every `interval` while the server serves (the first time one interval after start-up), until a
/// graceful shutdown. A failed run is logged and tried again at the next interval; the job logs what it did.
struct PeriodicService: Service {
    /// What the job is, for the log ("access expiry", "compaction").
    let name: String
    let interval: Duration
    let logger: Logger
    let job: @Sendable () async throws -> Void

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            _ = try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            guard !Task.isCancelled && !Task.isShuttingDownGracefully else { return }
            do {
                try await job()
            } catch {
                logger.error("\(name) failed; retrying at the next interval", metadata: ["error": "\(error)"])
            }
        }
    }
}
