import Foundation
import Hummingbird
import HummingbirdTesting
import SyncProtocol
import SyncServer
import Testing

@Suite("HTTP API")
struct APITests {
    @Test func healthAndMetrics() async throws {
        try await APIHarness.run { api in
            let health = try await api.send(.get, "/health")
            #expect(health.status == .ok)
            #expect(health.text == #"{"status":"ok"}"#)
            let metrics = try await api.send(.get, "/metrics")
            #expect(metrics.status == .ok)
            #expect(metrics.headers[.contentType]?.hasPrefix("text/plain") == true)
            #expect(metrics.text.contains("fieldsync_http_requests_total{route=\"/health\""))
        }
    }

    @Test func enrolmentGivesATokenOnce() async throws {
        try await APIHarness.run { api in
            let code = try await api.issueCode()
            let request = try WireCoding.encode(EnrollRequest(code: code, deviceName: "Anna's laptop"))
            let first = try await api.send(.post, "/v1/enroll", json: request)
            #expect(first.status == .ok)
            let enrolled = try WireCoding.decode(EnrollResponse.self, from: first.data)
            #expect(enrolled.teams == [api.team])
            #expect(enrolled.token.count >= 43)

            let again = try await api.send(.post, "/v1/enroll", json: request)
            #expect(again.status == .unauthorized)
            #expect(again.errorBody?.code == .invalidEnrollmentCode)
            let failed = try await api.storage.auditEvents(limit: 5).first
            #expect(failed?.action == .enrol && failed?.outcome == "invalid_enrollment_code")
            #expect(failed?.deviceID == nil && failed?.detail?.hasPrefix("from=") == true)

            let expired = try await api.issueCode(expiresIn: -5)
            let late = try await api.send(
                .post, "/v1/enroll", json: try WireCoding.encode(EnrollRequest(code: expired, deviceName: "x")))
            #expect(late.errorBody?.code == .invalidEnrollmentCode)

            let noVersion = try await api.send(
                .post, "/v1/enroll",
                json: Data(#"{"code":"\#(try await api.issueCode())","deviceName":"x","protocolVersions":[7]}"#.utf8))
            #expect(noVersion.status == .badRequest)
            #expect(noVersion.errorBody?.code == .unsupportedVersion)
        }
    }

    @Test func devicesBringTheirReplicaIDWhichMustBeUnique() async throws {
        try await APIHarness.run { api in
            let replica = ReplicaID.random()
            let code = try await api.issueCode()
            let first = try await api.send(
                .post, "/v1/enroll",
                json: try WireCoding.encode(EnrollRequest(code: code, deviceName: "laptop", replica: replica)))
            #expect(first.status == .ok)
            #expect(try WireCoding.decode(EnrollResponse.self, from: first.data).replica == replica)

            let second = try await api.issueCode()
            let clash = try await api.send(
                .post, "/v1/enroll",
                json: try WireCoding.encode(EnrollRequest(code: second, deviceName: "phone", replica: replica)))
            #expect(clash.status == .conflict && clash.errorBody?.code == .replicaInUse)
            let serverReplica = try WireCoding.decode(EnrollResponse.self, from: first.data).server.replica
            let asServer = try await api.send(
                .post, "/v1/enroll",
                json: try WireCoding.encode(EnrollRequest(code: second, deviceName: "phone", replica: serverReplica)))
            #expect(asServer.errorBody?.code == .replicaInUse)
            // The refused enrolments did not use the code up.
            let retry = try await api.send(
                .post, "/v1/enroll",
                json: try WireCoding.encode(EnrollRequest(code: second, deviceName: "phone", replica: .random())))
            #expect(retry.status == .ok)
        }
    }

    @Test func finalBatchesRecordTheDevicesCheckpoint() async throws {
        try await APIHarness.run { api in
            let laptop = try await api.enrol("laptop")
            let phone = try await api.enrol("phone")
            _ = try await api.push(try (0..<3).map { try APIHarness.note("c\($0)", by: laptop.replica) }, as: laptop)
            let page = try WireCoding.decode(PullPage.self, from: try await api.pull(as: phone).data)

            let checkpoint = PushBatch(
                replica: phone.replica, batchID: "cp1", records: [], cursor: page.nextCursor, final: true)
            let answer = try await api.send(
                .post, "/v1/teams/\(api.team)/push", token: phone.token, json: try WireCoding.encode(checkpoint))
            #expect(answer.status == .ok, "\(answer.text)")
            #expect(try await api.storage.stablePosition(team: api.team) == 0, "the laptop has not checkpointed")
            let laptopCheckpoint = PushBatch(
                replica: laptop.replica, batchID: "cp2", records: [], cursor: page.nextCursor, final: true)
            _ = try await api.send(
                .post, "/v1/teams/\(api.team)/push", token: laptop.token,
                json: try WireCoding.encode(laptopCheckpoint))
            #expect(try await api.storage.stablePosition(team: api.team) == 3)

            let forged = PushBatch(
                replica: phone.replica, batchID: "cp3", records: [], cursor: "1.3.000000000000", final: true)
            let refused = try await api.send(
                .post, "/v1/teams/\(api.team)/push", token: phone.token, json: try WireCoding.encode(forged))
            #expect(refused.status == .badRequest && refused.errorBody?.code == .invalidCursor)
        }
    }

    @Test func helloNeedsAValidTokenOfAnActiveDevice() async throws {
        try await APIHarness.run { api in
            let device = try await api.enrol()
            let hello = try WireCoding.encode(HelloRequest(client: "tests"))
            let ok = try await api.send(.post, "/v1/hello", token: device.token, json: hello)
            #expect(ok.status == .ok)
            let answer = try WireCoding.decode(HelloResponse.self, from: ok.data)
            #expect(answer.deviceID == device.deviceID && answer.teams == [api.team])
            #expect(answer.server.replica == device.server.replica)

            let none = try await api.send(.post, "/v1/hello", json: hello)
            #expect(none.status == .unauthorized && none.errorBody?.code == .unauthorized)
            let wrong = try await api.send(.post, "/v1/hello", token: "not-a-token", json: hello)
            #expect(wrong.status == .unauthorized && wrong.errorBody?.code == .unauthorized)

            try await api.storage.revokeDevice(id: device.deviceID, at: Date())
            let revoked = try await api.send(.post, "/v1/hello", token: device.token, json: hello)
            #expect(revoked.status == .unauthorized && revoked.errorBody?.code == .deviceRevoked)
            let pull = try await api.pull(as: device)
            #expect(pull.status == .unauthorized)
        }
    }

    @Test func pushThenPullRoundTripsAndIsIdempotent() async throws {
        try await APIHarness.run { api in
            let laptop = try await api.enrol("laptop")
            let phone = try await api.enrol("phone")
            let notes = try (0..<3).map { try APIHarness.note("n\($0)", by: laptop.replica) }

            let pushed = try await api.push(notes, as: laptop)
            #expect(pushed.status == .ok, "\(pushed.text)")
            let result = try WireCoding.decode(PushResult.self, from: pushed.data)
            #expect(result.results.map(\.status) == [.accepted, .accepted, .accepted])
            #expect(result.sequence == 3)

            // A retried batch changes nothing.
            let retried = try WireCoding.decode(PushResult.self, from: try await api.push(notes, as: laptop).data)
            #expect(retried.sequence == 3 && retried.results.allSatisfy { $0.status == .accepted })

            // The phone pulls in pages of two.
            let first = try await api.pull(as: phone, limit: 2)
            #expect(first.status == .ok, "\(first.text)")
            let page1 = try WireCoding.decode(PullPage.self, from: first.data)
            #expect(page1.records == Array(notes.prefix(2)) && page1.more)
            let page2 = try WireCoding.decode(
                PullPage.self, from: try await api.pull(as: phone, cursor: page1.nextCursor, limit: 2).data)
            #expect(page2.records == [notes[2]] && !page2.more)
            let page3 = try WireCoding.decode(
                PullPage.self, from: try await api.pull(as: phone, cursor: page2.nextCursor).data)
            #expect(page3.records.isEmpty && !page3.more && page3.nextCursor == page2.nextCursor)

            // The phone edits concurrently with the laptop: the server merges and answers `merged`.
            let onPhone = page1.records[0].updating(["kind": .string("phone")], by: phone.replica)
            _ = try await api.push([onPhone], as: phone)
            let onLaptop = notes[0].updating(
                ["body": .text("Met at the station.\nSchool visit.\n")], by: laptop.replica)
            let mergedAnswer = try WireCoding.decode(
                PushResult.self, from: try await api.push([onLaptop], as: laptop).data)
            let outcome = try #require(mergedAnswer.results.first)
            #expect(outcome.status == .merged)
            #expect(outcome.record == onLaptop.merged(with: onPhone))

            let metrics = try await api.send(.get, "/metrics").text
            for line in [
                "fieldsync_pushes_total 4", "fieldsync_records_pushed_total 8", "fieldsync_records_merged_total 1",
                "fieldsync_records_written_total 5", "fieldsync_pulls_total 3", "fieldsync_records_pulled_total 3",
            ] {
                #expect(metrics.contains(line + "\n"), "\(line) missing from /metrics")
            }

            // Every push and pull is in the audit log with its records.
            let audit = try await api.storage.auditEvents(limit: 50)
            #expect(audit.contains { $0.action == .push && $0.deviceID == laptop.deviceID && $0.recordIDs.count == 3 })
            #expect(audit.contains { $0.action == .push && $0.detail?.hasPrefix("batch=b1 records=3") == true })
            #expect(audit.contains { $0.action == .pull && $0.deviceID == phone.deviceID && $0.recordIDs.count == 2 })
        }
    }

    @Test func devicesOnlyReachTheirAdvisersTeams() async throws {
        try await APIHarness.run { api in
            let (other, theirs) = try await api.enrolOutsider()
            let mine = try await api.enrol("mine")

            let note = try APIHarness.note("secret", by: theirs.replica)
            #expect(try await api.push([note], as: theirs, team: other).status == .ok)

            let forbiddenPull = try await api.pull(as: mine, team: other)
            #expect(forbiddenPull.status == .forbidden && forbiddenPull.errorBody?.code == .forbiddenTeam)
            let forbiddenPush = try await api.push([try APIHarness.note("x", by: mine.replica)], as: mine, team: other)
            #expect(forbiddenPush.status == .forbidden && forbiddenPush.errorBody?.code == .forbiddenTeam)
            #expect(try await api.storage.lastSeq(team: other) == 1)

            // The same record id pushed to my own team: it belongs to the other team.
            let stolen = try APIHarness.note("secret", by: mine.replica)
            let fresh = try APIHarness.note("fresh", by: mine.replica)
            let refused = try await api.push([fresh, stolen], as: mine)
            #expect(refused.status == .forbidden)
            #expect(refused.errorBody?.code == .forbiddenRecord && refused.errorBody?.details?.index == 1)
            #expect(try await api.storage.lastSeq(team: api.team) == 0, "nothing of the batch may be written")
            let refusal = try await api.storage.auditEvents(limit: 20).first { $0.deviceID == mine.deviceID }
            #expect(refusal?.action == .push && refusal?.outcome == "forbidden_record")
            #expect(refusal?.recordIDs == ["notes/fresh", "notes/secret"])

            // A purge needs the right to purge.
            _ = try await api.push([fresh], as: mine)
            let purge = try #require(
                try WireCoding.decode(PullPage.self, from: try await api.pull(as: mine).data).records.first
            ).purging(by: mine.replica)
            let noRight = try await api.push([purge], as: mine)
            #expect(noRight.status == .forbidden && noRight.errorBody?.code == .forbiddenRecord)
        }
    }

    @Test func badInputGets400WithAnErrorBody() async throws {
        try await APIHarness.run { api in
            let device = try await api.enrol()
            let push = "/v1/teams/\(api.team)/push"
            let valid = try WireCoding.encodeString(
                PushBatch(
                    replica: device.replica, batchID: "b", records: [try APIHarness.note("n1", by: device.replica)]))
            let cases: [(String, ErrorCode)] = [
                ("{not json", .malformedJSON),
                ("", .malformedJSON),
                (valid.replacingOccurrences(of: #""batchId""#, with: #""colour":1,"batchId""#), .unknownField),
                (valid.replacingOccurrences(of: #""batchId":"b""#, with: #""batchId":7"#), .wrongType),
                (
                    valid.replacingOccurrences(of: #""protocolVersion":2"#, with: #""protocolVersion":99"#),
                    .unsupportedVersion
                ),
                (
                    valid.replacingOccurrences(
                        of: #"\#(device.replica)":1"#, with: #"\#(device.replica)":9007199254740993"#), .invalidValue
                ),
                (
                    valid.replacingOccurrences(
                        of: #""i":"n1""#, with: #""i":"\#(String(repeating: "x", count: 300))""#), .invalidValue
                ),
                (
                    valid.replacingOccurrences(of: #""c":"notes""#, with: #""c":"secrets""#),
                    .invalidValue
                ),
            ]
            for (body, code) in cases {
                // A replacement that no longer matches the wire form would send a valid body and prove nothing.
                #expect(body != valid, "case \(code) did not change the body")
                let response = try await api.send(.post, push, token: device.token, json: Data(body.utf8))
                #expect(response.status == .badRequest, "\(code): \(response.status) \(response.text)")
                #expect(response.errorBody?.code == code, "\(response.text)")
                #expect(response.headers[.contentType] == "application/json")
            }
            // Another device's replica in the batch.
            let other = PushBatch(
                replica: ReplicaID.random(), batchID: "b", records: [try APIHarness.note("n2", by: device.replica)])
            let wrongReplica = try await api.send(.post, push, token: device.token, json: try WireCoding.encode(other))
            #expect(wrongReplica.status == .badRequest && wrongReplica.errorBody?.details?.path == "replica")

            for query in ["cursor=nonsense", "limit=0", "limit=abc", "cursor=1.5.000000000000"] {
                let response = try await api.send(.get, "/v1/teams/\(api.team)/pull?\(query)", token: device.token)
                #expect(response.status == .badRequest, "\(query): \(response.text)")
                #expect(response.errorBody != nil)
            }
            #expect(try await api.storage.lastSeq(team: api.team) == 0)
        }
    }

    @Test func cursorsAreBoundToTheirTeam() async throws {
        try await APIHarness.run { api in
            let second = TestEnvironment.uniqueName("second")
            _ = try await api.storage.createTeam(named: second, at: Date())
            try await api.storage.addAdviser(named: api.adviser, toTeam: second, canPurge: nil, at: Date())
            let device = try await api.enrol()
            _ = try await api.push([try APIHarness.note("a", by: device.replica)], as: device)
            let page = try WireCoding.decode(PullPage.self, from: try await api.pull(as: device).data)
            let crossed = try await api.pull(as: device, team: second, cursor: page.nextCursor)
            #expect(crossed.status == .badRequest && crossed.errorBody?.code == .invalidCursor)
        }
    }

    @Test func unknownRoutesAndMethodsAnswerWithErrorBodies() async throws {
        try await APIHarness.run { api in
            let missing = try await api.send(.get, "/v2/nothing")
            #expect(missing.status == .notFound && missing.errorBody?.code == .notFound)
            let method = try await api.send(.delete, "/v1/enroll")
            #expect(method.status == .methodNotAllowed && method.errorBody?.code == .methodNotAllowed)
        }
    }

    @Test func limitsGive413And429() async throws {
        var configuration = ServerConfiguration(port: 0)
        configuration.limits = ServerLimits(
            maxBodyBytes: 4_096, maxBatchRecords: 2, maxPageRecords: 10, defaultPageRecords: 5)
        configuration.deviceRateLimit = .init(burst: 5, perSecond: 0.01)
        try await APIHarness.run(configuration: configuration) { api in
            let device = try await api.enrol()
            let big = try APIHarness.note("big", by: device.replica, body: String(repeating: "x", count: 5_000))
            let tooLarge = try await api.push([big], as: device)
            #expect(tooLarge.status == .contentTooLarge && tooLarge.errorBody?.code == .payloadTooLarge)

            let three = try (0..<3).map { try APIHarness.note("m\($0)", by: device.replica) }
            let tooMany = try await api.push(three, as: device)
            #expect(tooMany.status == .contentTooLarge && tooMany.errorBody?.code == .batchTooLarge)

            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<5 { statuses.append(try await api.pull(as: device).status) }
            let limited = statuses.firstIndex(of: .tooManyRequests)
            #expect(limited != nil, "\(statuses)")
            let response = try await api.pull(as: device)
            #expect(response.status == .tooManyRequests)
            #expect(response.errorBody?.code == .rateLimited && response.errorBody?.retryable == true)
            let retryAfter = try #require(response.headers[.retryAfter].flatMap(Int.init))
            #expect(retryAfter >= 1 && retryAfter == response.errorBody?.retryAfterSeconds)
        }
    }

    /// Random garbage on every route never produces a 5xx, and the server keeps answering.
    @Test func garbageNeverCausesAServerError() async throws {
        try await APIHarness.run { api in
            let device = try await api.enrol()
            var generator = SystemRandomNumberGenerator()
            let fragments = [
                "{", "}", "[", "]", "\"", ":", ",", "null", "true", "1e999", "-0", "\"records\"", "\"clock\"",
                "\"protocolVersion\"", "\u{0}", "\u{FEFF}", "\\u0000", "9007199254740993", "\"replica\"", "{}", "[]",
            ]
            let routes = ["/v1/enroll", "/v1/hello", "/v1/teams/\(api.team)/push", "/v1/teams/\(api.team)/pull"]
            for round in 0..<200 {
                let body = (0..<Int.random(in: 0...12, using: &generator)).map { _ in
                    fragments.randomElement(using: &generator)!
                }.joined()
                let route = routes[round % routes.count]
                let method: HTTPRequest.Method = route.hasSuffix("pull") ? .get : .post
                let response = try await api.send(method, route, token: device.token, json: Data(body.utf8))
                #expect(response.status.code < 500, "\(route) \(body): \(response.status) \(response.text)")
                #expect(response.status.code < 300 || response.errorBody != nil, "\(route) \(body)")
            }
            #expect(try await api.send(.get, "/health").status == .ok)
        }
    }
}
