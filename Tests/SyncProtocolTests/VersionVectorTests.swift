import Foundation
import SyncProtocolTesting
import Testing

@testable import SyncProtocol

@Suite("Version vectors")
struct VersionVectorTests {
    let a = Fixture.a
    let b = Fixture.b

    @Test func incrementGivesConsecutiveDots() {
        var clock = VersionVector()
        #expect(clock.increment(a) == Dot(replica: a, counter: 1))
        #expect(clock.increment(a) == Dot(replica: a, counter: 2))
        #expect(clock.increment(b) == Dot(replica: b, counter: 1))
        #expect(clock[a] == 2 && clock[b] == 1 && clock[Fixture.c] == 0)
        #expect(clock.contains(Dot(replica: a, counter: 2)))
        #expect(!clock.contains(Dot(replica: a, counter: 3)))
    }

    @Test func compareCoversAllFourOrders() {
        let empty = VersionVector()
        let a1 = VersionVector([a: 1])
        let a1b1 = VersionVector([a: 1, b: 1])
        let b1 = VersionVector([b: 1])
        #expect(empty.compare(empty) == .equal)
        #expect(empty.compare(a1) == .before)
        #expect(a1b1.compare(a1) == .after)
        #expect(a1.compare(b1) == .concurrent)
        #expect(VersionVector([a: 0]).compare(empty) == .equal)
    }

    @Test func encodingIsCanonical() throws {
        let clock = VersionVector([b: 3, a: 1, Fixture.c: 0])
        #expect(Fixture.json(clock) == #"{"a":1,"b":3}"#)
        let decoded = try CanonicalJSON.decode(VersionVector.self, from: Data(#"{"b":3,"a":1,"x":0}"#.utf8))
        #expect(decoded == clock)
    }

    @Test(arguments: [
        #"{"":1}"#, #"{"a b":1}"#, #"{"a":-1}"#, #"{"a":9007199254740992}"#, #"{"a":1.5}"#, #"[1]"#,
    ])
    func decodingRejectsBadClocks(_ json: String) {
        #expect(throws: DecodingError.self) { try CanonicalJSON.decode(VersionVector.self, from: Data(json.utf8)) }
    }

    @Test func decodingRejectsTooManyEntries() {
        let entries = (0...ProtocolLimits.maxClockEntries).map { "\"r\($0)\":1" }.joined(separator: ",")
        #expect(throws: DecodingError.self) {
            try CanonicalJSON.decode(VersionVector.self, from: Data("{\(entries)}".utf8))
        }
    }

    @Test func replicaIDsAreValidated() throws {
        #expect(throws: ModelError.invalidReplicaID("")) { try ReplicaID("") }
        #expect(throws: ModelError.self) { try ReplicaID(String(repeating: "x", count: 33)) }
        #expect(throws: ModelError.self) { try ReplicaID("a:b") }
        let id = ReplicaID.random()
        #expect(id.rawValue.count == 12 && ReplicaID.isValid(id.rawValue))
        #expect(ReplicaID.random() != id)
        #expect(throws: DecodingError.self) { try CanonicalJSON.decode(ReplicaID.self, from: Data(#""a/b""#.utf8)) }
        #expect(try CanonicalJSON.decode(ReplicaID.self, from: Data(#""Ab_9-""#.utf8)).rawValue == "Ab_9-")
    }

    @Test(arguments: ["a:0", "a:", ":1", "a:01", "a:-1", "a", "a:9007199254740992", "a b:1", "a:1x"])
    func dotsAreValidated(_ text: String) {
        #expect(throws: ModelError.invalidDot(text)) { try Dot(parsing: text) }
    }

    @Test func dotTextRoundTrips() throws {
        let dot = try Dot(parsing: "server:9007199254740991")
        #expect(dot.counter == ProtocolLimits.maxCounter && dot.description == "server:9007199254740991")
    }

    /// Partial-order laws and lub/glb over random vectors.
    @Test func partialOrderAndLatticeLaws() {
        for seed in PropertySeeds.seeds(count: 2000, salt: 1) {
            var random = SplitMix64(seed: seed)
            let replicas = (0..<4).map { try! ReplicaID("r\($0)") }
            func vector() -> VersionVector {
                VersionVector(
                    Dictionary(uniqueKeysWithValues: replicas.map { ($0, UInt64.random(in: 0...3, using: &random)) }))
            }
            let x = vector()
            let y = vector()
            let z = vector()
            let context = "seed \(seed): \(x) \(y) \(z)"
            #expect(x.compare(x) == .equal, "\(context)")
            #expect(x.compare(y) == y.compare(x).reversed, "\(context)")
            if x.dominates(y) && y.dominates(z) { #expect(x.dominates(z), "\(context)") }
            if x.dominates(y) && y.dominates(x) { #expect(x == y, "\(context)") }
            let join = x.merging(y)
            #expect(join == y.merging(x), "\(context)")
            #expect(join.merging(z) == x.merging(y.merging(z)), "\(context)")
            #expect(x.merging(x) == x, "\(context)")
            #expect(join.dominates(x) && join.dominates(y), "\(context)")
            // Least: any upper bound of x and y dominates the join.
            if z.dominates(x) && z.dominates(y) { #expect(z.dominates(join), "\(context)") }
            let meet = x.intersecting(y)
            #expect(x.dominates(meet) && y.dominates(meet) && meet == y.intersecting(x), "\(context)")
            let expected: CausalOrder =
                x == y ? .equal : x.dominates(y) ? .after : y.dominates(x) ? .before : .concurrent
            #expect(x.compare(y) == expected, "\(context)")
            let decoded = try? CanonicalJSON.decode(VersionVector.self, from: CanonicalJSON.encode(x))
            #expect(decoded == x, "\(context)")
            if x.compare(y) != .equal { #expect(x != y) }
        }
    }
}
