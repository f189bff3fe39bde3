import Foundation
import Logging
import SyncClient
import SyncProtocol

/// A device's HTTP transport whose connection can be dropped between syncs.
///
/// The closed-loop load keeps one connection per device for the whole run. The open-loop capacity load drops it
/// after every sync, as a device that syncs once a minute would (mobile radios and proxies close idle
/// connections): thousands of idle keep-alive connections would otherwise hold a file descriptor each in both the
/// devices' and the server's process, and the machine's limit (20,000 here) would be what the search measures.
final class ReconnectingTransport: SyncTransport, @unchecked Sendable {
    let configuration: SyncClientConfiguration
    let logger: Logger
    private let lock = NSLock()
    private var current: HTTPSyncTransport?

    init(configuration: SyncClientConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// The open connection's transport, or a new one (a new HTTP client: its first request connects).
    private func connected() throws -> HTTPSyncTransport {
        try lock.withLock {
            if let current { return current }
            let transport = try HTTPSyncTransport(configuration: configuration, logger: logger)
            current = transport
            return transport
        }
    }

    /// Closes the connection; the next request opens a new one.
    func disconnect() async {
        let transport = lock.withLock {
            defer { current = nil }
            return current
        }
        try? await transport?.shutdown()
    }

    func hello(_ request: HelloRequest) async throws -> HelloResponse {
        try await connected().hello(request)
    }

    func push(_ batch: PushBatch, team: String) async throws -> PushResult {
        try await connected().push(batch, team: team)
    }

    func pull(_ request: PullRequest, team: String) async throws -> PullPage {
        try await connected().pull(request, team: team)
    }
}
