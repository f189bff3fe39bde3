import Foundation
import Hummingbird
import HummingbirdTesting
import SyncProtocol
import SyncServer
import Testing

/// Requests broken at the HTTP level get a 4xx with an ErrorBody, never a 500 (README §7, §10), and a body
/// that does not arrive in time is cut off (README §10, `408 request_timeout`).
@Suite("HTTP layer: broken requests")
struct HTTPLayerAPITests {
    /// Runs `body` with a live server (raw sockets need a port) and the port.
    /// Also checks that nothing was logged as an error: a client's broken request is not the server's fault.
    func live(
        _ backend: Backend = .sqlite, configuration: ServerConfiguration = ServerConfiguration(port: 0),
        _ body: @Sendable (APIHarness, Int) async throws -> Void
    ) async throws {
        let lines = CapturingLogHandler.Lines()
        try await APIHarness.run(
            backend, configuration: configuration, mode: .live, logger: CapturingLogHandler.logger(into: lines)
        ) { api in
            let port = try #require(api.client.port)
            try await body(api, port)
        }
        let errors = lines.all.filter { $0.hasPrefix("error") || $0.hasPrefix("critical") }
        #expect(errors.isEmpty, "\(errors)")
    }

    @Test(arguments: Backend.enabled)
    func bodiesCutOffOrMisframedAreClientErrors(backend: Backend) async throws {
        try await live(backend) { api, port in
            let device = try await api.enrol()
            let push =
                "POST /v1/teams/\(api.team)/push HTTP/1.1\r\nHost: t\r\n"
                + "Authorization: Bearer \(device.token)\r\nContent-Type: application/json\r\n"
            let cases: [(String, String)] = [
                (
                    "enrolment ends before its Content-Length",
                    "POST /v1/enroll HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
                        + #"{"code":"#
                ),
                (
                    "push ends before its Content-Length",
                    push + "Content-Length: 100\r\n\r\n" + #"{"protocolVersion":1,"#
                ),
                ("chunk size zz", push + "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"),
                ("chunk size -5", push + "Transfer-Encoding: chunked\r\n\r\n-5\r\n{}\r\n0\r\n\r\n"),
                ("chunked body cut off", push + "Transfer-Encoding: chunked\r\n\r\n20\r\n{\"protocolVersion\""),
            ]
            for (name, request) in cases {
                let answer = try await RawHTTPClient.exchange(port: port, request, halfClose: true)
                #expect(answer.status == 400, "\(name): \(answer)")
                #expect(answer.errorBody?.code == .malformedRequest, "\(name): \(answer)")
                #expect(answer.errorBody?.retryable == false, "\(name): \(answer)")
            }
            let audit = try await api.storage.auditEvents(limit: 20)
            #expect(!audit.contains { $0.outcome == ErrorCode.internalError.rawValue }, "\(audit)")
        }
    }

    @Test func requestsTheDecoderRefusesHaveAnErrorBody() async throws {
        try await live { _, port in
            let padding = String(repeating: "a", count: 100_000)
            let cases: [(String, String)] = [
                (
                    "invalid Content-Length",
                    "POST /v1/hello HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\nConnection: close\r\n\r\n{}"
                ),
                ("100 KB header", "GET /health HTTP/1.1\r\nHost: t\r\nX-Padding: \(padding)\r\n\r\n"),
                ("100 KB target", "GET /v1/teams/\(padding)/pull HTTP/1.1\r\nHost: t\r\n\r\n"),
                ("not HTTP", "NOT AN HTTP REQUEST\r\n\r\n"),
            ]
            for (name, request) in cases {
                let answer = try await RawHTTPClient.exchange(port: port, request)
                #expect(answer.status == 400, "\(name): \(answer)")
                #expect(answer.errorBody?.code == .malformedRequest, "\(name): \(answer)")
                #expect(answer.closedByServer, "\(name): the connection stays open")
                #expect(!answer.body.contains("aaaa"), "\(name): the answer echoes the request")
            }
        }
    }

    @Test func anAnswerBeforeTheBodyEndedClosesTheConnection() async throws {
        // The routes answer without reading the body: a trickled rest must not hold the connection.
        try await live { api, port in
            let requests = [
                (
                    "unauthenticated push", 401,
                    "POST /v1/teams/\(api.team)/push HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n{"
                ),
                ("health with a body", 200, "GET /health HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n{"),
            ]
            for (name, status, request) in requests {
                // 30 s without a byte: a loaded CI machine has taken more than 10 s to answer here.
                let answer = try await RawHTTPClient.exchange(port: port, request, readTimeout: 30)
                #expect(answer.status == status, "\(name): \(answer)")
                #expect(answer.closedByServer, "\(name): the connection waits for the rest of the body")
            }
        }
    }

    @Test(arguments: Backend.enabled)
    func aBodyThatDoesNotArriveInTimeIsCutOff(backend: Backend) async throws {
        // A tiny deadline and a client that stops sending: no sleeping in the test.
        let configuration = ServerConfiguration(port: 0, bodyReadTimeout: .milliseconds(200))
        try await live(backend, configuration: configuration) { api, port in
            let device = try await api.enrol()
            let requests = [
                "POST /v1/enroll HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
                "POST /v1/teams/\(api.team)/push HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer \(device.token)\r\n"
                    + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n{\r\n",
            ]
            for request in requests {
                let answer = try await RawHTTPClient.exchange(port: port, request, readTimeout: 10)
                #expect(answer.status == 408, "\(answer)")
                #expect(answer.errorBody?.code == .requestTimeout, "\(answer)")
                #expect(answer.closedByServer, "the connection stays open after the deadline")
            }
        }
    }
}
