import Foundation
import Testing

@testable import SyncProtocol

/// `protocol-spec/vectors/scopes.json`: the scope rule of protocol version 2 (README §14.3).
@Suite("Scopes: protocol-spec vectors")
struct ScopeVectorTests {
    static let replica = try! ReplicaID("a")

    /// A record of `collection` with the required fields, naming the given tags.
    static func record(_ collection: String, tags: [String: Any]) throws -> Record {
        let schema = try #require(Schemas.all[collection])
        let values: [String: FieldValue] =
            collection == "subjects"
            ? ["reference": .string("ung-0142")]
            : [
                "subject": .reference("s-1"), "kind": .string("walk"),
                "occurredAt": .timestamp(Timestamp(millisecondsSince1970: 1_790_000_000_000)),
            ]
        var record = try Record.create(collection: collection, id: "r-1", values: values, by: replica, schema: schema)
        for field in ["scope", "consent", "accessEnds"] {
            let names = Set(tags[field] as? [String] ?? [])
            if !names.isEmpty { record = record.addingTags(names, to: field, by: replica) }
        }
        return record
    }

    @Test func theScopeRuleDecidesAsTheVectorsSay() throws {
        let file = try VectorFile("scopes.json")
        file.expectSections(["decisions"])
        for item in try file.cases("decisions") {
            let name = item["name"] as? String ?? "?"
            let collection = try #require(item["collection"] as? String)
            let storedTags = item["stored"] as? [String: Any]
            let stored = try storedTags.map { try Self.record(collection, tags: $0) }
            let merged = try Self.record(collection, tags: try #require(item["merged"] as? [String: Any]))
            let expect = try #require(item["expect"] as? [String: Any])
            let home = try #require(item["home"] as? String)
            let team = try #require(item["team"] as? String)
            let version = try #require(item["version"] as? Int)
            do {
                let decision = try ScopeRule.decide(
                    merged: merged, stored: stored, home: home,
                    storedReaders: Set(storedTags?["readers"] as? [String] ?? []),
                    team: team, partners: Set(item["partners"] as? [String] ?? []),
                    subjectScope: (item["subjectScope"] as? [String]).map(Set.init), version: version)
                #expect(expect["code"] == nil, "\(name): accepted, expected \(expect["code"] ?? "")")
                #expect(decision.scope == Set(expect["scope"] as? [String] ?? []), "\(name): scope")
                #expect(decision.readers == Set(expect["readers"] as? [String] ?? []), "\(name): readers")
            } catch let error {
                #expect(error.code.rawValue == expect["code"] as? String, "\(name): \(error.code) (\(error.message))")
            }
        }
    }

    @Test func accessEndsParseOnlyRealDays() {
        #expect(AccessEnd(tag: "uu-north@2026-12-31")?.team == "uu-north")
        #expect(AccessEnd(tag: "uu-north@2026-12-31")?.date == Date(timeIntervalSince1970: 1_798_675_200))
        for bad in [
            "uu-north@2026-02-30", "uu-north@2026-13-01", "uu-north", "@2026-01-01", "a b@2026-01-01",
            "uu-north@26-01-01", "uu-north@2026-1-01", "uu-north@+026-01-01",
        ] {
            #expect(AccessEnd(tag: bad) == nil, "\(bad)")
        }
    }
}
