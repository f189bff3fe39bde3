import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import SyncProtocol
import SyncServer
import Testing

/// An in-process server on a fresh storage, with a team, an adviser and helpers to enrol devices and
/// send requests.
struct APIHarness: Sendable {
    let storage: any SyncStorage
    let client: any TestClientProtocol
    let team: String
    let adviser: String

    /// Runs `body` against an in-process (`.router`) or live (`.live`) server.
    static func run(
        _ backend: Backend = .sqlite,
        configuration: ServerConfiguration = ServerConfiguration(port: 0),
        mode: TestingSetup = .router,
        logger: Logger = TestEnvironment.logger,
        _ body: @Sendable (APIHarness) async throws -> Void
    ) async throws {
        let storage = try backend.makeStorage()
        let app = try SyncServerApplication.make(storage: storage, configuration: configuration, logger: logger)
        try await app.test(mode) { client in
            let team = TestEnvironment.uniqueName("team")
            let adviser = TestEnvironment.uniqueName("adviser")
            _ = try await storage.createTeam(named: team, at: Date())
            try await storage.addAdviser(named: adviser, toTeam: team, canPurge: nil, at: Date())
            try await body(APIHarness(storage: storage, client: client, team: team, adviser: adviser))
        }
    }

    /// Issues a one-time code for `adviser` (default: the harness's adviser).
    func issueCode(for adviser: String? = nil, expiresIn seconds: TimeInterval = 3_600) async throws -> String {
        let code = Secrets.makeEnrolmentCode()
        try await storage.storeEnrolmentCode(
            digest: Secrets.enrolmentCodeDigest(code), adviser: adviser ?? self.adviser,
            expiresAt: Date().addingTimeInterval(seconds), at: Date())
        return code
    }

    /// Enrols a device through the API.
    func enrol(_ name: String = "laptop", adviser: String? = nil) async throws -> EnrollResponse {
        let code = try await issueCode(for: adviser)
        let response = try await send(
            .post, "/v1/enroll", json: try WireCoding.encode(EnrollRequest(code: code, deviceName: name)))
        try #require(response.status == .ok, "enrolment failed: \(response.text)")
        return try WireCoding.decode(EnrollResponse.self, from: response.data)
    }

    /// A new team with one adviser and a device of theirs: someone this harness's devices must not reach.
    func enrolOutsider(_ name: String = "theirs") async throws -> (team: String, device: EnrollResponse) {
        let team = TestEnvironment.uniqueName("other")
        let adviser = TestEnvironment.uniqueName("outsider")
        _ = try await storage.createTeam(named: team, at: Date())
        try await storage.addAdviser(named: adviser, toTeam: team, canPurge: nil, at: Date())
        return (team, try await enrol(name, adviser: adviser))
    }

    /// Sends a request; `token` becomes the bearer token.
    func send(
        _ method: HTTPRequest.Method, _ uri: String, token: String? = nil, json: Data? = nil,
        headers extra: HTTPFields = [:]
    ) async throws -> TestResponse {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        if json != nil { headers[.contentType] = "application/json" }
        return try await client.executeRequest(
            uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(data: $0) })
    }

    func push(
        _ records: [Record], as device: EnrollResponse, team: String? = nil, batchID: String = "b1",
        version: Int = ProtocolVersion.current
    ) async throws -> TestResponse {
        let batch = PushBatch(protocolVersion: version, replica: device.replica, batchID: batchID, records: records)
        return try await send(
            .post, "/v1/teams/\(team ?? self.team)/push", token: device.token, json: try WireCoding.encode(batch))
    }

    func pull(
        as device: EnrollResponse, team: String? = nil, cursor: String? = nil, limit: Int? = nil, version: Int? = nil
    ) async throws -> TestResponse {
        var query: [String] = []
        if let cursor { query.append("cursor=\(cursor)") }
        if let limit { query.append("limit=\(limit)") }
        if let version { query.append("protocolVersion=\(version)") }
        let uri = "/v1/teams/\(team ?? self.team)/pull" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
        return try await send(.get, uri, token: device.token)
    }

    /// A valid note written by `replica`.
    static func note(_ id: String, by replica: ReplicaID, body: String = "Met at the station.\n") throws -> Record {
        try Record.create(
            collection: "notes", id: id,
            values: [
                "subject": .reference("y-417"), "kind": .string("walk"),
                "occurredAt": .timestamp(Timestamp(millisecondsSince1970: 1_790_000_000_000)), "body": .text(body),
            ],
            by: replica, schema: Schemas.notes)
    }
}

extension TestResponse {
    var data: Data { Data(buffer: body) }
    var text: String { String(decoding: data, as: UTF8.self) }

    /// The error body, or a failed expectation.
    var errorBody: ErrorBody? { try? WireCoding.decode(ErrorBody.self, from: data) }
}

extension Data {
    init(buffer: ByteBuffer) {
        self = buffer.withUnsafeReadableBytes { Data($0) }
    }
}

extension ByteBuffer {
    init(data: Data) {
        self.init(bytes: data)
    }
}
