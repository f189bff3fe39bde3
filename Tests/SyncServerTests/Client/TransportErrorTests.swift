import Foundation
import Logging
import SyncClient
import SyncProtocol
import Testing

/// The client's own mistakes are `invalidRequest`, not a server's answer that was not understood, and are never
/// retried (issue #13 point 3). Nothing here reaches a network.
@Suite("HTTP transport: the client's own mistakes")
struct TransportErrorTests {
    @Test func unreadableTrustedCertificatesAreAnInvalidRequest() {
        let configuration = SyncClientConfiguration(
            baseURL: "https://127.0.0.1:9", trustedCertificatesPEM: "-----BEGIN CERTIFICATE-----\nnot base64\n")
        do {
            _ = try HTTPSyncTransport(configuration: configuration, logger: Logger(label: "test"))
            Issue.record("a transport was made with unreadable certificates")
        } catch let error as SyncTransportError {
            #expect(error.kind == .invalidRequest)
            #expect(!error.isRetryable)
            #expect(error.message.hasPrefix("cannot read the trusted certificates"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func anInvalidTeamNameIsRefusedBeforeAnythingIsSent() async throws {
        // Port 9 on loopback: were a request sent, it would fail as cannotConnect, not as invalidRequest.
        let transport = try HTTPSyncTransport(
            configuration: SyncClientConfiguration(baseURL: "http://127.0.0.1:9"), logger: Logger(label: "test"))
        let request = PullRequest(cursor: nil, limit: 10, protocolVersion: 2)
        let outcome: Result<PullPage, any Error>
        do {
            outcome = .success(try await transport.pull(request, team: "north/../south"))
        } catch {
            outcome = .failure(error)
        }
        // Before any expectation: an HTTP client must be shut down before it is released.
        try await transport.shutdown()
        switch outcome {
        case .success: Issue.record("an invalid team name was sent")
        case .failure(let error as SyncTransportError):
            #expect(error.kind == .invalidRequest, "\(error.message)")
            #expect(!error.isRetryable)
        case .failure(let error): Issue.record("unexpected error \(error)")
        }
    }
}
