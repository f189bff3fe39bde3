import Foundation
import Testing

@testable import SyncProtocol

@Suite("Wire messages: coding and strict decoding")
struct MessageCodingTests {
    static let laptop = try! ReplicaID("laptop")

    static func note(_ id: String) throws -> Record {
        try Record.create(
            collection: "notes", id: id,
            values: [
                "subject": .reference("y-417"), "kind": .string("walk"),
                "occurredAt": .timestamp(Timestamp(millisecondsSince1970: 1_795_000_000_000)),
                "body": .text("Met at the station.\n"), "tags": .tags(["housing", "placement"]),
            ], by: laptop, schema: Schemas.notes)
    }

    @Test func everyMessageRoundTrips() throws {
        let note = try Self.note("n1")
        let edited = note.updating(["body": .text("Met at the station.\nCall Friday.\n")], by: Self.laptop)
        let info = ServerInfo(replica: try ReplicaID("server"), limits: .standard)
        try roundTrip(HelloRequest(client: "fieldcli/0.1"))
        try roundTrip(HelloResponse(protocolVersion: 1, deviceID: "dev-1", teams: ["north"], server: info))
        try roundTrip(EnrollRequest(code: "K7QF-2MZP", deviceName: "Annes bærbare"))
        try roundTrip(
            EnrollResponse(
                protocolVersion: 1, deviceID: "dev-1", replica: Self.laptop, token: "secret",
                teams: ["north"], server: info))
        try roundTrip(PushBatch(replica: Self.laptop, batchID: "b-1", records: [note, try Self.note("n2")]))
        try roundTrip(PushResult(batchID: "b-1", sequence: 7, results: [.accepted(note.key), .merged(edited)]))
        try roundTrip(PullRequest(cursor: "7", limit: 100))
        try roundTrip(PullPage(records: [edited], nextCursor: "8", more: true))
        try roundTrip(
            ErrorBody(
                code: .rateLimited, message: "slow down", retryAfterSeconds: 3,
                details: ErrorDetails(collection: "notes", id: "n1", path: "records[0]", index: 0)))
    }

    private func roundTrip<Message: Codable & Equatable>(_ message: Message) throws {
        let data = try WireCoding.encode(message)
        let decoded = try WireCoding.decode(Message.self, from: data)
        #expect(decoded == message)
        #expect(try WireCoding.encode(decoded) == data, "canonical encoding is stable")
    }

    @Test func everyDefinedCodeHasAStatusAndOnlyServerSideCodesAreRetryable() {
        for code in ErrorCode.allDefined {
            let status = try? #require(code.httpStatus)
            #expect(status.map { (400...599).contains($0) } == true, "\(code)")
            // 408: the body was too slow (a slow network as likely as a hostile client), so a retry may succeed.
            #expect(code.isRetryable == (status.map { $0 == 408 || $0 == 429 || $0 >= 500 } ?? false), "\(code)")
        }
        #expect(Set(ErrorCode.allDefined).count == ErrorCode.allDefined.count)
        #expect(ErrorCode(rawValue: "from_the_future").httpStatus == nil)
    }

    @Test func unknownErrorCodesFromNewerServersStillDecode() throws {
        let text = #"{"code":"quota_exceeded","message":"m","retryable":true}"#
        let body = try WireCoding.decode(ErrorBody.self, from: text)
        #expect(body.code.rawValue == "quota_exceeded" && body.retryable)
    }

    @Test func decodingErrorsNameTheRecordInTheBatch() throws {
        var object =
            try JSONSerialization.jsonObject(
                with: WireCoding.encode(
                    PushBatch(
                        replica: Self.laptop, batchID: "b-1",
                        records: [try Self.note("n1"), try Self.note("n2")]))
            ) as! [String: Any]
        var records = object["records"] as! [[String: Any]]
        records[1]["i"] = 17
        object["records"] = records
        let data = try JSONSerialization.data(withJSONObject: object)
        let error = try #require(throws: WireDecodingError.self) { try WireCoding.decode(PushBatch.self, from: data) }
        #expect(error.kind == .wrongType && error.path == "records[1].i")
        #expect(error.errorBody.details?.index == 1)
        #expect(error.errorBody.code == .wrongType && !error.errorBody.retryable)
    }

    @Test func awkwardJSONIsRefusedWithAPreciseCode() throws {
        let cases: [(String, ErrorCode, String)] = [
            (#"{"limit":1.5}"#, .invalidValue, "limit"),
            (#"{"limit":"5"}"#, .wrongType, "limit"),
            (#"[1]"#, .wrongType, ""),
            ("{\"limit\":\u{1}1}", .malformedJSON, ""),
            (#"{"limit":5,"#, .malformedJSON, ""),
            ("", .malformedJSON, ""),
        ]
        for (text, code, path) in cases {
            let error = try #require(throws: WireDecodingError.self) {
                try WireCoding.decode(PullRequest.self, from: text)
            }
            #expect(error.code == code && error.path == path, "\(text): \(error)")
        }
        let invalidUTF8 = Data([0x7B, 0x22, 0x63, 0x75, 0x72, 0x73, 0x6F, 0x72, 0x22, 0x3A, 0x22, 0xFF, 0x22, 0x7D])
        let error = try #require(throws: WireDecodingError.self) {
            try WireCoding.decode(PullRequest.self, from: invalidUTF8)
        }
        #expect(error.code == .malformedJSON)
    }

    @Test func pushOutcomeRefusesARecordOnAnAcceptedOutcome() throws {
        let note = try Self.note("n1")
        var outcome = PushOutcome.merged(note)
        outcome.status = .accepted
        let data = try WireCoding.encode(outcome)
        let error = try #require(throws: WireDecodingError.self) { try WireCoding.decode(PushOutcome.self, from: data) }
        #expect(error.kind == .invalidValue && error.path == "record")
    }

    @Test func pullQueryParametersAreValidated() throws {
        #expect(try PullRequest.validated(cursor: nil, limit: nil) == PullRequest())
        #expect(try PullRequest.validated(cursor: "42", limit: "100") == PullRequest(cursor: "42", limit: 100))
        for limit in ["0", "-1", "ten", "10001", "1e3"] {
            #expect(throws: WireDecodingError.self) { try PullRequest.validated(cursor: nil, limit: limit) }
        }
        #expect(throws: WireDecodingError.self) { try PullRequest.validated(cursor: "", limit: nil) }
        let long = String(repeating: "c", count: WireLimits.maxCursorBytes + 1)
        #expect(throws: WireDecodingError.self) { try PullRequest.validated(cursor: long, limit: nil) }
    }

    @Test func identifiersAreBounded() {
        #expect(WireLimits.isValidIdentifier("north.youth-guides:2"))
        #expect(!WireLimits.isValidIdentifier(""))
        #expect(!WireLimits.isValidIdentifier("with space"))
        #expect(!WireLimits.isValidIdentifier("ø"))
        #expect(!WireLimits.isValidIdentifier(String(repeating: "a", count: 129)))
    }

    @Test func negotiationPicksTheHighestCommonVersion() {
        #expect(ProtocolVersion.negotiate(client: [1, 2, 3], server: [1, 2]) == 2)
        #expect(ProtocolVersion.negotiate(client: [3], server: [1, 2]) == nil)
        #expect(ProtocolVersion.negotiate(client: [1]) == 1)
    }

    @Test func backoffDelaysStayWithinTheirBounds() {
        let policy = RetryPolicy(maxAttempts: 10, baseDelay: .milliseconds(100), maxDelay: .seconds(2))
        #expect(policy.delay(beforeRetry: 1, jitter: 0) == .milliseconds(50))
        #expect(policy.delay(beforeRetry: 1, jitter: 1) == .milliseconds(100))
        #expect(policy.delay(beforeRetry: 3, jitter: 1) == .milliseconds(400))
        #expect(policy.delay(beforeRetry: 9, jitter: 1) == .seconds(2))
        #expect(policy.delay(beforeRetry: 9, jitter: 0) == .seconds(1))
        #expect(policy.delay(beforeRetry: 1, jitter: 0, retryAfter: .seconds(5)) == .seconds(5))
    }
}
