import Foundation
import Testing

@testable import SyncProtocol

/// The message vectors of `protocol-spec/vectors/messages.json`, checked both ways, so the specification
/// and the code cannot drift apart.
@Suite("Wire messages: protocol-spec vectors")
struct MessageVectorTests {
    struct Case: Decodable, CustomTestStringConvertible, Sendable {
        struct ExpectedError: Decodable, Sendable {
            var code: String
            var path: String
        }

        var name: String
        var type: String
        var canonical: String?
        var input: String?
        var error: ExpectedError?

        var testDescription: String { name }
    }

    struct File: Decodable {
        var protocolVersion: Int
        var cases: [Case]
    }

    /// Finds `protocol-spec/` by walking up from this source file to the package root.
    static func vectorsDirectory(from file: String = #filePath) throws -> URL {
        var directory = URL(fileURLWithPath: file).deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("protocol-spec/vectors")
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
            directory.deleteLastPathComponent()
        }
        throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "protocol-spec/vectors above \(file)"])
    }

    static func load() throws -> File {
        let url = try vectorsDirectory().appendingPathComponent("messages.json")
        return try JSONDecoder().decode(File.self, from: Data(contentsOf: url))
    }

    static let cases: [Case] = (try? load().cases) ?? []

    @Test func theFileIsThereAndLargeEnough() throws {
        let file = try Self.load()
        #expect(file.protocolVersion == ProtocolVersion.current)
        #expect(file.cases.filter { $0.canonical != nil }.count >= 12)
        #expect(file.cases.filter { $0.error != nil }.count >= 10)
        #expect(Set(file.cases.map(\.name)).count == file.cases.count, "case names are unique")
    }

    @Test(arguments: cases.filter { $0.canonical != nil })
    func validMessageDecodesAndEncodesCanonically(_ vector: Case) throws {
        let canonical = try #require(vector.canonical)
        let reencoded = try Self.roundTrip(type: vector.type, text: canonical)
        #expect(reencoded == canonical)
    }

    @Test(arguments: cases.filter { $0.canonical != nil })
    func prettyPrintedFormDecodesToTheSameMessage(_ vector: Case) throws {
        // The `message` object as another implementation might send it: any key order, whitespace.
        let url = try Self.vectorsDirectory().appendingPathComponent("messages.json")
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        let entry = (root["cases"] as! [[String: Any]]).first { $0["name"] as? String == vector.name }!
        let pretty = try JSONSerialization.data(withJSONObject: entry["message"]!, options: [.prettyPrinted])
        let reencoded = try Self.roundTrip(type: vector.type, text: String(decoding: pretty, as: UTF8.self))
        #expect(reencoded == vector.canonical)
    }

    @Test(arguments: cases.filter { $0.error != nil })
    func invalidMessageIsRefusedWithItsCode(_ vector: Case) throws {
        let input = try #require(vector.input)
        let expected = try #require(vector.error)
        do {
            let accepted = try Self.roundTrip(type: vector.type, text: input)
            Issue.record("accepted: \(accepted)")
        } catch let error as WireDecodingError {
            #expect(error.code.rawValue == expected.code, "\(error)")
            #expect(error.path == expected.path, "\(error)")
            #expect(error.errorBody.code.httpStatus == 400)
        }
    }

    /// Decodes `text` strictly as the named message type and re-encodes it canonically.
    static func roundTrip(type: String, text: String) throws -> String {
        func run<Message: Codable>(_ type: Message.Type) throws -> String {
            try WireCoding.encodeString(try WireCoding.decode(type, from: text))
        }
        switch type {
        case "HelloRequest": return try run(HelloRequest.self)
        case "HelloResponse": return try run(HelloResponse.self)
        case "EnrollRequest": return try run(EnrollRequest.self)
        case "EnrollResponse": return try run(EnrollResponse.self)
        case "PushBatch": return try run(PushBatch.self)
        case "PushResult": return try run(PushResult.self)
        case "PullRequest": return try run(PullRequest.self)
        case "PullPage": return try run(PullPage.self)
        case "TeamDirectory": return try run(TeamDirectory.self)
        case "ErrorBody": return try run(ErrorBody.self)
        default:
            Issue.record("unknown message type \(type)")
            return ""
        }
    }
}
