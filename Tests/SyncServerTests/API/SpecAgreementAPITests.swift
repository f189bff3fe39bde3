import Foundation
import Hummingbird
import HummingbirdTesting
import SyncProtocol
import Testing

@testable import SyncServer

/// Points where an independent client found the server and protocol-spec/ disagreeing (issue 11).
@Suite("Spec and server agree")
struct SpecAgreementAPITests {
    @Test(arguments: Backend.enabled)
    func repeatedMemberNamesAreMalformedJSONEverywhere(backend: Backend) async throws {
        try await APIHarness.run(backend) { api in
            let device = try await api.enrol()
            let hello = try await api.send(
                .post, "/v1/hello", token: device.token,
                json: Data(#"{"protocolVersions":[1],"protocolVersions":[9]}"#.utf8))
            #expect(hello.status == .badRequest && hello.errorBody?.code == .malformedJSON, "\(hello.text)")
            let enrol = try await api.send(
                .post, "/v1/enroll",
                json: Data(#"{"code":"\#(try await api.issueCode())","deviceName":"a","deviceName":"b"}"#.utf8))
            #expect(enrol.status == .badRequest && enrol.errorBody?.code == .malformedJSON, "\(enrol.text)")
            let id = TestEnvironment.uniqueName("n")
            let note = try WireCoding.encodeString(try APIHarness.note(id, by: device.replica))
            let twice = note.replacingOccurrences(of: #""kind":"walk""#, with: #""kind":"walk","kind":"talk""#)
            let body =
                #"{"batchId":"b-1","protocolVersion":1,"records":["# + twice
                + #"],"replica":"\#(device.replica)"}"#
            let push = try await api.send(
                .post, "/v1/teams/\(api.team)/push", token: device.token, json: Data(body.utf8))
            #expect(push.status == .badRequest && push.errorBody?.code == .malformedJSON, "\(push.text)")
            #expect(push.errorBody?.details?.path == "records[0].w[0].s.kind")
        }
    }

    /// README §7, §8, §10: null for an optional member, control characters in labels, a signed limit.
    @Test(arguments: Backend.enabled)
    func nullOptionalMembersControlCharactersAndSignedLimitsAreRefused(backend: Backend) async throws {
        try await APIHarness.run(backend) { api in
            let device = try await api.enrol()
            let hello = try await api.send(
                .post, "/v1/hello", token: device.token, json: Data(#"{"client":null,"protocolVersions":[1]}"#.utf8))
            #expect(hello.status == .badRequest && hello.errorBody?.code == .wrongType, "\(hello.text)")
            for member in [#""cursor":null"#, #""final":null"#] {
                let body =
                    #"{"batchId":"b-1","protocolVersion":1,"records":[],"replica":"\#(device.replica)","#
                    + member + "}"
                let push = try await api.send(
                    .post, "/v1/teams/\(api.team)/push", token: device.token, json: Data(body.utf8))
                #expect(push.status == .badRequest && push.errorBody?.code == .wrongType, "\(member): \(push.text)")
            }
            let code = try await api.issueCode()
            let nul = try await api.send(
                .post, "/v1/enroll", json: Data(#"{"code":"\#(code)","deviceName":"laptop\u0000anna"}"#.utf8))
            #expect(nul.status == .badRequest && nul.errorBody?.code == .invalidValue, "\(nul.text)")
            #expect(nul.errorBody?.details?.path == "deviceName")
            // The refused enrolment did not spend the code.
            #expect(
                try await api.send(
                    .post, "/v1/enroll", json: try WireCoding.encode(EnrollRequest(code: code, deviceName: "b"))
                )
                .status == .ok)
            for limit in ["+5", "%2B5", "5.0"] {
                let pull = try await api.send(.get, "/v1/teams/\(api.team)/pull?limit=\(limit)", token: device.token)
                #expect(pull.status == .badRequest && pull.errorBody?.code == .invalidValue, "\(limit): \(pull.text)")
            }
        }
    }

    /// README §5: a cursor beyond the team's sequence was never issued, also as a push's checkpoint.
    @Test(arguments: Backend.enabled)
    func aCheckpointBeyondTheTeamsSequenceIsRefused(backend: Backend) async throws {
        try await APIHarness.run(backend) { api in
            let device = try await api.enrol()
            let id = TestEnvironment.uniqueName("n")
            #expect(try await api.push([try APIHarness.note(id, by: device.replica)], as: device).status == .ok)
            // A cursor in the reference server's form with a correct check: anyone can compute one.
            let far: Int64 = 1 << 50
            let forged = "1.\(far).\(SHA256Digest.hex("cursor:\(api.team):\(far)").prefix(12))"
            let body =
                #"{"batchId":"cp-1","cursor":"\#(forged)","final":true,"protocolVersion":1,"records":[],"#
                + #""replica":"\#(device.replica)"}"#
            let push = try await api.send(
                .post, "/v1/teams/\(api.team)/push", token: device.token, json: Data(body.utf8))
            #expect(push.status == .badRequest && push.errorBody?.code == .invalidCursor, "\(push.text)")
            #expect(try await api.storage.stablePosition(team: api.team) < far)
            // The team's own position is accepted.
            let page = try WireCoding.decode(PullPage.self, from: try await api.pull(as: device).data)
            let honest =
                #"{"batchId":"cp-2","cursor":"\#(page.nextCursor)","final":true,"protocolVersion":1,"#
                + #""records":[],"replica":"\#(device.replica)"}"#
            let accepted = try await api.send(
                .post, "/v1/teams/\(api.team)/push", token: device.token, json: Data(honest.utf8))
            #expect(accepted.status == .ok, "\(accepted.text)")
        }
    }

    /// README §5: pages are bounded in bytes as well as in records; a page holds at least one record.
    @Test(arguments: Backend.enabled)
    func pagesAreBoundedInBytes(backend: Backend) async throws {
        let limits = ServerLimits(
            maxBodyBytes: 4_096, maxBatchRecords: 10, maxPageRecords: 100, defaultPageRecords: 100)
        try await APIHarness.run(backend, configuration: ServerConfiguration(port: 0, limits: limits)) { api in
            let device = try await api.enrol()
            let text = String(repeating: "A line of a long note.\n", count: 60)  // ~1.4 KB per record
            let prefix = TestEnvironment.uniqueName("n")
            for index in 0..<5 {
                let note = try APIHarness.note("\(prefix)-\(index)", by: device.replica, body: text)
                let pushed = try await api.push([note], as: device, batchID: "b-\(index)")
                #expect(pushed.status == .ok, "\(pushed.text)")
            }
            var cursor: String?
            var seen: [String] = []
            var pages = 0
            repeat {
                let answer = try await api.pull(as: device, cursor: cursor)
                #expect(answer.data.count <= limits.maxBodyBytes, "a page of \(answer.data.count) bytes")
                let page = try WireCoding.decode(PullPage.self, from: answer.data)
                #expect(!page.records.isEmpty || !page.more)
                seen += page.records.map(\.id)
                cursor = page.nextCursor
                pages += 1
                if !page.more { break }
            } while pages < 10
            #expect(seen == (0..<5).map { "\(prefix)-\($0)" })
            #expect(pages >= 3)
        }
    }

    /// merge.md Schemas: a record that is not purged holds every required field; unknown kinds pass as they are.
    @Test(arguments: Backend.enabled)
    func requiredFieldsAreRequiredAndValueSetsAreOpen(backend: Backend) async throws {
        try await APIHarness.run(backend) { api in
            let device = try await api.enrol()
            let note = try WireCoding.encodeString(
                try APIHarness.note(TestEnvironment.uniqueName("n"), by: device.replica))
            let variants = [
                ("no kind", note.replacingOccurrences(of: #""kind":"walk","#, with: "")),
                ("kind null", note.replacingOccurrences(of: #""kind":"walk""#, with: #""kind":null"#)),
            ]
            for (name, record) in variants {
                #expect(record != note, "\(name)")
                let body =
                    #"{"batchId":"b-1","protocolVersion":1,"records":["# + record
                    + #"],"replica":"\#(device.replica)"}"#
                let push = try await api.send(
                    .post, "/v1/teams/\(api.team)/push", token: device.token, json: Data(body.utf8))
                #expect(push.status == .badRequest && push.errorBody?.code == .invalidValue, "\(name): \(push.text)")
            }
            let emptyID = TestEnvironment.uniqueName("e")
            let empty =
                #"{"batchId":"b-2","protocolVersion":1,"records":[{"c":"notes","i":"\#(emptyID)","v":{}}],"#
                + #""replica":"\#(device.replica)"}"#
            let refused = try await api.send(
                .post, "/v1/teams/\(api.team)/push", token: device.token, json: Data(empty.utf8))
            #expect(refused.status == .badRequest, "\(refused.text)")
            let workshop = note.replacingOccurrences(of: #""kind":"walk""#, with: #""kind":"a-kind-from-the-future""#)
            let body =
                #"{"batchId":"b-3","protocolVersion":1,"records":["# + workshop
                + #"],"replica":"\#(device.replica)"}"#
            let accepted = try await api.send(
                .post, "/v1/teams/\(api.team)/push", token: device.token, json: Data(body.utf8))
            #expect(accepted.status == .ok, "\(accepted.text)")
        }
    }

    /// README §4.3: every record's schema (in batch order) before any record's stored state.
    @Test(arguments: Backend.enabled)
    func schemaChecksComeBeforeTheStoredStateOfAnyRecord(backend: Backend) async throws {
        try await APIHarness.run(backend) { api in
            let (other, theirs) = try await api.enrolOutsider()
            let mine = try await api.enrol("mine")
            let taken = TestEnvironment.uniqueName("taken")
            #expect(
                try await api.push([try APIHarness.note(taken, by: theirs.replica)], as: theirs, team: other)
                    .status == .ok)
            let stolen = try APIHarness.note(taken, by: mine.replica)
            let valid = try WireCoding.encodeString(
                try APIHarness.note(TestEnvironment.uniqueName("broken"), by: mine.replica))
            let broken = try WireCoding.decode(
                Record.self, from: valid.replacingOccurrences(of: #""kind":"walk""#, with: #""kind":5"#))
            let refused = try await api.push([stolen, broken], as: mine)
            #expect(refused.status == .badRequest && refused.errorBody?.code == .invalidValue, "\(refused.text)")
            #expect(refused.errorBody?.details?.index == 1)
            // Without the schema violation, record 0's team is named.
            let forbidden = try await api.push([stolen], as: mine)
            #expect(forbidden.status == .forbidden && forbidden.errorBody?.code == .forbiddenRecord)
        }
    }

    /// README §7, §11.6: an error message names the path and the rule, never the value; logs neither.
    @Test(arguments: Backend.enabled)
    func refusalsNeverEchoWhatTheyRefuse(backend: Backend) async throws {
        let lines = CapturingLogHandler.Lines()
        try await APIHarness.run(backend, logger: CapturingLogHandler.logger(into: lines)) { api in
            let device = try await api.enrol()
            let id = TestEnvironment.uniqueName("n")
            let note = try WireCoding.encodeString(try APIHarness.note(id, by: device.replica))
            let secret = "Zq7Secret"
            let longTag = "substance-abuse-treatment-" + secret + String(repeating: "x", count: 130)
            let replacements: [(String, String, String)] = [
                ("reference", #""ref":"y-417""#, #""ref":"\#(secret) person""#),
                ("tag", #""d":"0:1","#, #""d":"0:1","t":{"tags":["\#(longTag)"]},"#),
                ("record id", #""i":"\#(id)""#, #""i":"\#(secret) id""#),
                ("collection", #""c":"notes""#, #""c":"\#(secret) notes""#),
                ("replica", #""v":{"#, #""v":{"\#(secret) replica":1,"#),
                ("dot", #""d":"0:1""#, #""d":"\#(secret)""#),
                ("decimal", #""kind":"walk""#, #""kind":{"dec":"\#(secret)"}"#),
                ("text for a string", #""kind":"walk""#, #""kind":{"text":"\#(secret)"}"#),
                ("value type", #""kind":"walk""#, #""kind":{"\#(secret)":1}"#),
                ("field name", #""kind":"walk""#, #""kind":"walk","\#(secret) field":"x""#),
            ]
            var bodies: [(String, String)] = replacements.map { name, from, to in
                let record = note.replacingOccurrences(of: from, with: to)
                return (
                    name,
                    #"{"batchId":"b-1","protocolVersion":1,"records":["# + record
                        + #"],"replica":"\#(device.replica)"}"#
                )
            }
            let lateTime = note.replacing(#/"time":[0-9]+/#, with: #""time":9007199254740993"#)
            bodies.append(
                (
                    "time",
                    #"{"batchId":"b-1","protocolVersion":1,"records":["# + lateTime
                        + #"],"replica":"\#(device.replica)"}"#
                ))
            bodies.append(
                (
                    "batch id",
                    #"{"batchId":"\#(secret) b","protocolVersion":1,"records":[],"final":true,"#
                        + #""replica":"\#(device.replica)"}"#
                ))
            for (name, body) in bodies {
                let answer = try await api.send(
                    .post, "/v1/teams/\(api.team)/push", token: device.token, json: Data(body.utf8))
                // Refused for the value, not for broken JSON.
                #expect(
                    answer.status == .badRequest && answer.errorBody?.code != .malformedJSON, "\(name): \(answer.text)")
                #expect(
                    !answer.text.contains(secret) && !answer.text.contains("9007199254740993"),
                    "\(name): \(answer.text)")
            }
            let team = try await api.send(.post, "/v1/teams/\(secret)/push", token: device.token, json: Data("{}".utf8))
            #expect(team.status == .forbidden && !team.text.contains(secret), "\(team.text)")
            let method = try await api.send(.get, "/v1/teams/\(secret)/push", token: device.token)
            #expect(method.status == .methodNotAllowed && !method.text.contains(secret), "\(method.text)")
            #expect(method.headers[.allow] == "POST")
            let logged = lines.all.filter { $0.contains(secret) || $0.contains("9007199254740993") }
            #expect(logged.isEmpty, "\(logged)")
        }
    }
}
