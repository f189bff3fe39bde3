import Foundation
import Logging
import ServiceLifecycle
import SyncServer

/// A real sync server listening on a loopback port, for tests with real HTTP clients.
enum LiveServer {
    /// Starts a server on a free port, runs `body` with its base URL, then shuts it down gracefully.
    static func run<Result: Sendable>(
        storage: any SyncStorage,
        configuration: ServerConfiguration = ServerConfiguration(port: 0),
        _ body: @Sendable (String) async throws -> Result
    ) async throws -> Result {
        try await run(storage: storage, configuration: configuration) { url, _ in try await body(url) }
    }

    /// Like ``run(storage:configuration:_:)``, also handing `body` the service group, so a test can
    /// begin the graceful shutdown itself (`triggerGracefulShutdown()`) while requests are in flight.
    static func run<Result: Sendable>(
        storage: any SyncStorage,
        configuration: ServerConfiguration = ServerConfiguration(port: 0),
        _ body: @Sendable (String, ServiceGroup) async throws -> Result
    ) async throws -> Result {
        let (addresses, continuation) = AsyncStream<String>.makeStream()
        let app = try SyncServerApplication.make(
            storage: storage, configuration: configuration, logger: TestEnvironment.logger
        ) { address in continuation.yield(address) }
        let group = ServiceGroup(
            configuration: .init(services: [app], gracefulShutdownSignals: [], logger: TestEnvironment.logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                // If the server cannot start, the address stream ends and the test fails instead of hanging.
                defer { continuation.finish() }
                try await group.run()
            }
            var iterator = addresses.makeAsyncIterator()
            guard let address = await iterator.next() else {
                try await tasks.waitForAll()
                throw TestSetupError("the server stopped before listening")
            }
            let scheme = configuration.tls == nil ? "http" : "https"
            do {
                let result = try await body("\(scheme)://\(address)", group)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }
}
