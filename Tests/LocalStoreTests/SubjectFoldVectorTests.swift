import Foundation
import LocalStore
import SyncProtocol
import Testing

/// Checks every case of `protocol-spec/vectors/subject-folds.json` against ``SubjectFolds``.
@Suite("Protocol vectors: duplicate subjects")
struct SubjectFoldVectorTests {
    static func vectors(from file: String = #filePath) throws -> [String: Any] {
        let url = URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("protocol-spec/vectors/subject-folds.json")
        return try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    static func expectations(_ item: [String: Any]) throws -> (kept: [String: String], roots: Set<String>) {
        let kept = try #require(item["kept"] as? [String: String])
        let roots = Set(try #require(item["keptDespiteMergedInto"] as? [String]))
        return (kept, roots)
    }

    @Test func folds() throws {
        let cases = try #require(try Self.vectors()["folds"] as? [[String: Any]])
        #expect(cases.count == 9)
        for item in cases {
            let name = item["name"] as? String ?? "?"
            let mergedInto = try #require(item["mergedInto"] as? [String: String])
            let (kept, roots) = try Self.expectations(item)
            // The answer may not depend on the order the records arrived in: build the map in every order.
            for order in Self.permutations(Array(mergedInto)) {
                var shuffled: [String: String] = [:]
                for (id, target) in order { shuffled[id] = target }
                let folds = SubjectFolds(shuffled)
                #expect(folds.kept == kept, "\(name)")
                #expect(folds.keptDespiteMergedInto == roots, "\(name)")
            }
        }
    }

    @Test func records() throws {
        let cases = try #require(try Self.vectors()["records"] as? [[String: Any]])
        #expect(!cases.isEmpty)
        for item in cases {
            let name = item["name"] as? String ?? "?"
            let subjects = try #require(item["subjects"] as? [Any]).map { json in
                try WireCoding.decode(SyncProtocol.Record.self, from: try JSONSerialization.data(withJSONObject: json))
            }
            let (kept, roots) = try Self.expectations(item)
            let folds = SubjectFolds(records: subjects)
            #expect(folds.kept == kept, "\(name)")
            #expect(folds.keptDespiteMergedInto == roots, "\(name)")
        }
    }

    static func permutations<T>(_ items: [T]) -> [[T]] {
        guard items.count > 1 else { return [items] }
        return items.indices.flatMap { index -> [[T]] in
            var rest = items
            let first = rest.remove(at: index)
            return permutations(rest).map { [first] + $0 }
        }
    }
}
