import Foundation
import SyncProtocolTesting
import Testing

@testable import SyncProtocol

/// Loads the JSON test vectors of `protocol-spec/vectors/`, so the spec and the code cannot drift.
struct VectorFile {
    let name: String
    let root: [String: Any]

    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Support
        .deletingLastPathComponent()  // SyncProtocolTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // package root
        .appendingPathComponent("protocol-spec/vectors")

    init(_ name: String) throws {
        self.name = name
        let url = Self.directory.appendingPathComponent(name)
        let data = try Data(contentsOf: url)
        root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(name) is not an object")
    }

    /// The cases of one section; fails the test when the section is missing or empty.
    func cases(_ section: String) throws -> [[String: Any]] {
        let list = try #require(root[section] as? [[String: Any]], "\(name) has no section '\(section)'")
        #expect(!list.isEmpty, "\(name).\(section) is empty")
        return list
    }

    /// Fails when the file has sections no test reads, so every vector is checked.
    func expectSections(_ sections: Set<String>) {
        let present = Set(root.keys).subtracting(["description"])
        #expect(present == sections, "\(name): sections \(present.sorted()) but tests read \(sections.sorted())")
    }

    /// Re-serialises a JSON fragment and decodes it as a protocol value.
    static func decode<T: Decodable>(_ type: T.Type, _ object: Any) throws -> T {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.fragmentsAllowed])
        return try CanonicalJSON.decode(type, from: data)
    }
}

/// What a UI shows of a record, as the vectors spell it.
struct RecordView: Equatable, CustomStringConvertible {
    var values: [String: FieldValue]
    var conflicts: [Conflict]
    var deleted: Bool
    var purged: Bool

    init(_ record: Record) {
        values = record.values
        conflicts = record.conflicts
        deleted = record.isDeleted
        purged = record.isPurged
    }

    init(vector object: Any) throws {
        let view = try #require(object as? [String: Any], "view is not an object")
        values = try VectorFile.decode([String: FieldValue].self, view["values"] ?? [:])
        deleted = try #require(view["deleted"] as? Bool)
        purged = try #require(view["purged"] as? Bool)
        conflicts = []
        for item in try #require(view["conflicts"] as? [[String: Any]]) {
            if let field = item["field"] as? String {
                var candidates: [FieldWrite] = []
                for candidate in try #require(item["candidates"] as? [[String: Any]]) {
                    let dot = try Dot(parsing: try #require(candidate["dot"] as? String))
                    let value = try VectorFile.decode(FieldValue.self, candidate["value"] ?? NSNull())
                    candidates.append(FieldWrite(dot: dot, value: value))
                }
                conflicts.append(.field(name: field, candidates: candidates))
            } else {
                let deletes = try (try #require(item["deletes"] as? [String])).map { try Dot(parsing: $0) }
                let edits = try (try #require(item["edits"] as? [String])).map { try Dot(parsing: $0) }
                conflicts.append(.deleteVersusEdit(deletes: deletes, edits: edits))
            }
        }
    }

    static func == (lhs: RecordView, rhs: RecordView) -> Bool {
        // Candidates are compared by dot and value: the base is state, not part of the view.
        func strip(_ conflicts: [Conflict]) -> [Conflict] {
            conflicts.map {
                if case .field(let name, let candidates) = $0 {
                    .field(name: name, candidates: candidates.map { FieldWrite(dot: $0.dot, value: $0.value) })
                } else {
                    $0
                }
            }
        }
        return lhs.values == rhs.values && strip(lhs.conflicts) == strip(rhs.conflicts)
            && lhs.deleted == rhs.deleted && lhs.purged == rhs.purged
    }

    var description: String { "values \(values) conflicts \(conflicts) deleted \(deleted) purged \(purged)" }
}
