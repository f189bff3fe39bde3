import Foundation
import SyncProtocolTesting
import Testing

@testable import SyncProtocol

/// Checks every vector of clocks.json, fields.json, text-merge.json, conflicts.json and
/// deletes-purges.json against the implementation.
@Suite("Protocol vectors: clocks, fields, merges")
struct RecordVectorTests {
    @Test func clocks() throws {
        let file = try VectorFile("clocks.json")
        file.expectSections(["comparisons", "increments", "decoding", "dots", "pushClaims"])
        var checked = 0
        for item in try file.cases("comparisons") {
            let name = item["name"] as? String ?? "?"
            let left = try VectorFile.decode(VersionVector.self, item["left"]!)
            let right = try VectorFile.decode(VersionVector.self, item["right"]!)
            let order = try #require(CausalOrder(rawValue: item["order"] as? String ?? ""), "\(name)")
            #expect(left.compare(right) == order, "\(name)")
            #expect(right.compare(left) == order.reversed, "\(name)")
            let merged = try VectorFile.decode(VersionVector.self, item["merged"]!)
            #expect(left.merging(right) == merged && right.merging(left) == merged, "\(name)")
            checked += 1
        }
        for item in try file.cases("increments") {
            let name = item["name"] as? String ?? "?"
            var clock = try VectorFile.decode(VersionVector.self, item["clock"]!)
            let replica = try ReplicaID(try #require(item["replica"] as? String))
            let dot = clock.increment(replica)
            #expect(dot.description == item["dot"] as? String, "\(name)")
            #expect(clock == (try VectorFile.decode(VersionVector.self, item["result"]!)), "\(name)")
            checked += 1
        }
        for item in try file.cases("decoding") {
            let name = item["name"] as? String ?? "?"
            let json = try #require(item["json"] as? String)
            if item["valid"] as? Bool == true {
                let clock = try CanonicalJSON.decode(VersionVector.self, from: Data(json.utf8))
                #expect(try CanonicalJSON.string(clock) == item["canonical"] as? String, "\(name)")
            } else {
                #expect(throws: (any Error).self, "\(name)") {
                    try CanonicalJSON.decode(VersionVector.self, from: Data(json.utf8))
                }
            }
            checked += 1
        }
        for item in try file.cases("dots") {
            let text = try #require(item["text"] as? String)
            if item["valid"] as? Bool == true {
                #expect(try Dot(parsing: text).description == text)
            } else {
                #expect(throws: ModelError.self, "\(text)") { try Dot(parsing: text) }
            }
            checked += 1
        }
        for item in try file.cases("pushClaims") {
            let name = item["name"] as? String ?? "?"
            let pusher = try ReplicaID(try #require(item["pusher"] as? String))
            let earlier = Set(try (item["earlier"] as? [String] ?? []).map { try ReplicaID($0) })
            let pushed = try VectorFile.decode(VersionVector.self, item["pushed"]!)
            let stored = item["stored"] is NSNull ? nil : try VectorFile.decode(VersionVector.self, item["stored"]!)
            let refused = try (item["refused"] as? String).map { try ReplicaID($0) }
            let code = (item["code"] as? String).map { ErrorCode(rawValue: $0) }
            if code != .replicaRolledBack {
                #expect(
                    pushed.firstEntryAhead(of: stored ?? VersionVector(), except: earlier.union([pusher])) == refused,
                    "\(name)")
            }
            // The rule on records: the pushed clock on a record, the stored one on the server's copy; or whole
            // records (`pushedRecord`, `storedRecord`) where the rule reads more than the clock.
            let record =
                try item["pushedRecord"].map { try VectorFile.decode(Record.self, $0) }
                ?? Self.record(clock: pushed)
            let storedRecord =
                try item["storedRecord"].map { try VectorFile.decode(Record.self, $0) }
                ?? stored.map { Self.record(clock: $0) }
            #expect(record.clock == pushed && storedRecord?.clock == stored, "\(name): clocks and records disagree")
            do {
                try record.checkPushClaims(by: pusher, earlier: earlier, stored: storedRecord)
                #expect(refused == nil && code == nil, "\(name)")
            } catch {
                #expect(error.replica == refused, "\(name)")
                #expect(error.errorBody(index: 0).code == code, "\(name)")
                #expect(error.claimed == pushed[error.replica], "\(name)")
                #expect(error.received == (stored ?? VersionVector())[error.replica], "\(name)")
            }
            checked += 1
        }
        #expect(checked >= 25)
    }

    /// A record holding only `clock` (enough for the push rule, which reads nothing else).
    static func record(clock: VersionVector) -> Record {
        var record = Record(collection: "notes", id: "n-claims")
        record.clock = clock
        return record
    }

    @Test func fields() throws {
        let file = try VectorFile("fields.json")
        file.expectSections(["encodings", "invalidEncodings", "decimals", "merges", "operations"])
        for item in try file.cases("encodings") {
            let name = item["name"] as? String ?? "?"
            let json = try #require(item["json"] as? String)
            let value = try CanonicalJSON.decode(FieldValue.self, from: Data(json.utf8))
            #expect(value.type?.rawValue == item["type"] as? String, "\(name)")
            #expect(try CanonicalJSON.string(value) == json, "\(name): not canonical")
        }
        for item in try file.cases("invalidEncodings") {
            let json = try #require(item["json"] as? String)
            #expect(throws: (any Error).self, "\(item["name"] ?? "?")") {
                try CanonicalJSON.decode(FieldValue.self, from: Data(json.utf8))
            }
        }
        for item in try file.cases("decimals") {
            let input = try #require(item["input"] as? String)
            if let canonical = item["canonical"] as? String {
                #expect(try ExactDecimal(input).canonical == canonical, "\(input)")
            } else {
                #expect(throws: ModelError.invalidDecimal(input)) { try ExactDecimal(input) }
            }
        }
        try checkMerges(file)
        try checkOperations(file)
    }

    @Test func textMerges() throws {
        let file = try VectorFile("text-merge.json")
        file.expectSections(["threeWay", "merges", "basePatches"])
        for item in try file.cases("basePatches") {
            let name = item["name"] as? String ?? "?"
            let text = try #require(item["text"] as? String)
            let base = try #require(item["base"] as? String)
            let expected = try VectorFile.decode(BasePatch.self, try #require(item["patch"]))
            #expect(BasePatch(text: text, base: base) == expected, "\(name)")
            #expect(expected.base(of: text) == base, "\(name)")
        }
        for item in try file.cases("threeWay") {
            let name = item["name"] as? String ?? "?"
            let base = try #require(item["base"] as? String)
            let ours = try #require(item["ours"] as? String)
            let theirs = try #require(item["theirs"] as? String)
            let expected = item["merged"] as? String
            #expect(ThreeWayMerge.merge(base: base, ours: ours, theirs: theirs) == expected, "\(name)")
            // Swapping sides gives the same answer for these cases (no order-dependent choice).
            #expect(ThreeWayMerge.merge(base: base, ours: theirs, theirs: ours) == expected, "\(name) swapped")
        }
        try checkMerges(file)
    }

    @Test func conflicts() throws {
        let file = try VectorFile("conflicts.json")
        file.expectSections(["merges", "operations"])
        try checkMerges(file)
        try checkOperations(file)
    }

    @Test func deletesAndPurges() throws {
        let file = try VectorFile("deletes-purges.json")
        file.expectSections(["merges", "operations"])
        try checkMerges(file)
        try checkOperations(file)
    }

    @Test func enoughVectors() throws {
        var total = 0
        for name in ["clocks.json", "fields.json", "text-merge.json", "conflicts.json", "deletes-purges.json"] {
            let file = try VectorFile(name)
            for (key, value) in file.root where key != "description" {
                total += (value as? [Any])?.count ?? 0
            }
        }
        #expect(total >= 100, "only \(total) vectors")
    }

    /// Merges the inputs in every order: each gives the expected state and view.
    private func checkMerges(_ file: VectorFile) throws {
        for item in try file.cases("merges") {
            let name = "\(file.name) \(item["name"] as? String ?? "?")"
            let inputs = try (try #require(item["inputs"] as? [Any])).map { try VectorFile.decode(Record.self, $0) }
            let expected = try VectorFile.decode(Record.self, try #require(item["merged"], "\(name)"))
            for order in permutations(Array(inputs.indices)) {
                let merged = order.dropFirst().reduce(inputs[order[0]]) { $0.merged(with: inputs[$1]) }
                #expect(merged == expected, "\(name), order \(order)")
            }
            #expect(expected.merged(with: expected) == expected, "\(name): not idempotent")
            let view = try RecordView(vector: try #require(item["view"], "\(name)"))
            #expect(RecordView(expected) == view, "\(name): view")
        }
    }

    /// Applies each operation to its record: the result and its view are as written.
    private func checkOperations(_ file: VectorFile) throws {
        for item in try file.cases("operations") {
            let name = "\(file.name) \(item["name"] as? String ?? "?")"
            let record = try VectorFile.decode(Record.self, try #require(item["record"]))
            let operation = try #require(item["operation"] as? [String: Any], "\(name)")
            let result = try apply(operation, to: record)
            let expected = try VectorFile.decode(Record.self, try #require(item["result"]))
            #expect(result == expected, "\(name)")
            #expect(try CanonicalJSON.string(result) == CanonicalJSON.string(expected), "\(name)")
            #expect(RecordView(result) == (try RecordView(vector: try #require(item["view"]))), "\(name): view")
        }
    }

    private func apply(_ operation: [String: Any], to record: Record) throws -> Record {
        let by = try ReplicaID((operation["by"] as? String) ?? "x")
        if let create = operation["create"] as? [String: Any] {
            let values = try VectorFile.decode([String: FieldValue].self, create["values"] ?? [:])
            let schema = try #require(Schemas.all[record.collection])
            return try Record.create(
                collection: record.collection, id: record.id, values: values, by: by, schema: schema)
        }
        if let update = operation["update"] {
            return record.updating(try VectorFile.decode([String: FieldValue].self, update), by: by)
        }
        if let tags = operation["addTags"] as? [String: Any] {
            return record.addingTags(
                Set(try #require(tags["tags"] as? [String])), to: try #require(tags["field"] as? String), by: by)
        }
        if let tags = operation["removeTags"] as? [String: Any] {
            return record.removingTags(
                Set(try #require(tags["tags"] as? [String])), from: try #require(tags["field"] as? String), by: by)
        }
        if operation["delete"] != nil { return record.deleting(by: by) }
        if operation["restore"] != nil { return record.restoring(by: by) }
        if operation["purge"] != nil { return record.purging(by: by) }
        if let resolve = operation["resolveField"] as? [String: Any] {
            let value = try VectorFile.decode(FieldValue.self, resolve["value"] ?? NSNull())
            return record.resolving(field: try #require(resolve["field"] as? String), with: value, by: by)
        }
        if let resolve = operation["resolveDelete"] as? [String: Any] {
            return record.resolvingDeleteConflict(keep: try #require(resolve["keep"] as? Bool), by: by)
        }
        if let compact = operation["compact"] as? [String: Any] {
            let stable = try VectorFile.decode(VersionVector.self, try #require(compact["stableClock"]))
            return record.compacted(stableClock: stable)
        }
        Issue.record("unknown operation \(operation.keys.sorted())")
        return record
    }

    private func permutations(_ items: [Int]) -> [[Int]] {
        guard items.count > 1 else { return [items] }
        return items.indices.flatMap { index -> [[Int]] in
            var rest = items
            let first = rest.remove(at: index)
            return permutations(rest).map { [first] + $0 }
        }
    }
}
