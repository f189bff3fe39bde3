import Foundation

@testable import SyncProtocol

/// A random history of one note edited on several replicas, delivered over a network that
/// reorders, duplicates and loses messages. It keeps an oracle of every write ever made, with
/// the clock its writer had seen, so the tests can check that no write is lost.
struct HistorySimulation {
    /// A write some operation made, and the clock its replica had seen before (its causal context).
    struct Write {
        enum Target: Hashable {
            case register(field: String, value: FieldValue)
            case tag(field: String, tag: String)
            case presence(Bool)
        }
        var dot: Dot
        var target: Target
    }

    /// One operation: its dot, its context, and which fields and tags it touched.
    struct Operation {
        var dot: Dot
        var context: VersionVector
        var registers: Set<String>
        var tags: Set<String>
        var isPurge: Bool
    }

    static let collection = "notes"
    static let id = "note-1"
    static let tagPool = ["housing", "placement", "school", "health", "job"]

    var random: SplitMix64
    let replicas: [ReplicaID]
    var states: [Record]
    var network: [(to: Int, state: Record)] = []
    var writes: [Write] = []
    var operations: [Operation] = []
    /// Every state an operation produced: their join is the final state.
    var snapshots: [Record] = []
    var tokens = 0
    let allowPurge: Bool
    var stats = Stats()

    struct Stats {
        var operations = 0
        var conflictsSeen = 0
        var cleanTextMerges = 0
        var deliveries = 0
        var resolutions = 0
        var purges = 0
    }

    init(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let count = Int.random(in: 2...8, using: &random)
        replicas = (0..<count).map { _ in ReplicaID.random(using: &random) }
        states = Array(repeating: Record(collection: Self.collection, id: Self.id), count: count)
        allowPurge = random.chance(0.1)
        self.random = random
    }

    /// Runs the history: a create, then random operations, sends and deliveries; finally every
    /// replica exchanges state until all have seen everything (lost messages are retried).
    mutating func run() {
        let creator = Int.random(in: 0..<replicas.count, using: &random)
        let created = try! Record.create(
            collection: Self.collection, id: Self.id,
            values: [
                "subject": .reference("y-417"), "kind": .string("walk"),
                "occurredAt": .timestamp(Timestamp(millisecondsSince1970: 1_795_000_000_000)),
                "body": .text((0..<4).map { "tok line \($0)\n" }.joined()), "tags": .tags(["housing"]),
            ],
            by: replicas[creator], schema: Schemas.notes
        )
        apply(created, at: creator)
        let steps = Int.random(in: 30...90, using: &random)
        for _ in 0..<steps {
            let roll = Double.random(in: 0..<1, using: &random)
            if roll < 0.40 {
                localOperation()
            } else if roll < 0.65 {
                let from = Int.random(in: 0..<replicas.count, using: &random)
                let to = Int.random(in: 0..<replicas.count, using: &random)
                if from != to && !states[from].isEmpty { network.append((to, states[from])) }
            } else if !network.isEmpty {
                deliverOne()
            }
        }
        while !network.isEmpty { deliverOne(lossy: false) }
        // Anti-entropy: everyone to one replica, then that replica to everyone, in random order.
        let hub = Int.random(in: 0..<replicas.count, using: &random)
        for index in Array(replicas.indices).shuffled(using: &random) where index != hub {
            states[hub] = states[hub].merged(with: states[index])
        }
        for index in Array(replicas.indices).shuffled(using: &random) where index != hub {
            states[index] = states[index].merged(with: states[hub])
        }
    }

    private mutating func deliverOne(lossy: Bool = true) {
        let index = Int.random(in: 0..<network.count, using: &random)
        let message = network[index]
        if lossy && random.chance(0.2) {
            // Duplicated: it stays in the network and is delivered again later.
        } else {
            network.remove(at: index)
        }
        if lossy && random.chance(0.1) { return }  // lost; a later send retries it
        states[message.to] = states[message.to].merged(with: message.state)
        stats.deliveries += 1
    }

    private mutating func apply(_ next: Record, at index: Int) {
        let previous = states[index]
        states[index] = next
        guard next != previous else { return }
        snapshots.append(next)
        stats.operations += 1
        let replica = replicas[index]
        let dot = Dot(replica: replica, counter: next.clock[replica])
        precondition(next.clock[replica] == previous.clock[replica] + 1, "an operation adds exactly one dot")
        var operation = Operation(dot: dot, context: previous.clock, registers: [], tags: [], isPurge: false)
        operation.isPurge = next.isPurged && !previous.isPurged
        for (field, entries) in next.registers {
            for write in entries where write.dot == dot {
                writes.append(Write(dot: dot, target: .register(field: field, value: write.value)))
                operation.registers.insert(field)
            }
        }
        for (field, elements) in next.tagSets {
            for (tag, dots) in elements where dots.contains(dot) {
                writes.append(Write(dot: dot, target: .tag(field: field, tag: tag)))
                operation.tags.insert(tag)
            }
        }
        for tag in previous.tagSets["tags", default: [:]].keys where next.tagSets["tags"]?[tag] == nil {
            operation.tags.insert(tag)
        }
        if let live = next.presence[dot] { writes.append(Write(dot: dot, target: .presence(live))) }
        operations.append(operation)
    }

    private mutating func token() -> String {
        tokens += 1
        return "tok\(tokens)"
    }

    private mutating func localOperation() {
        let index = Int.random(in: 0..<replicas.count, using: &random)
        let state = states[index]
        guard !state.isEmpty, !state.isPurged else { return }
        let replica = replicas[index]
        if !state.conflicts.isEmpty { stats.conflictsSeen += 1 }
        if state.writes(of: "body").count > 1 && !state.isInConflict(field: "body") { stats.cleanTextMerges += 1 }
        let roll = Double.random(in: 0..<1, using: &random)
        var next = state
        if allowPurge && roll < 0.03 {
            next = state.purging(by: replica)
            stats.purges += 1
        } else if roll < 0.40 {
            var values: [String: FieldValue] = [:]
            for _ in 0..<Int.random(in: 1...2, using: &random) {
                switch Int.random(in: 0..<6, using: &random) {
                case 0: values["kind"] = .string(random.pick(["walk", "phone", "sms", "home visit"]) + " " + token())
                case 1: values["place"] = random.chance(0.2) ? .null : .string("place " + token())
                case 2: values["followUp"] = .timestamp(Timestamp(millisecondsSince1970: Int64(tokens) * 86_400_000))
                default: values["body"] = .text(editedBody(of: state))
                }
            }
            next = state.updating(values, by: replica)
        } else if roll < 0.58 {
            let tag = random.pick(Self.tagPool)
            switch Int.random(in: 0..<3, using: &random) {
            case 0: next = state.addingTags([tag], to: "tags", by: replica)
            case 1: next = state.removingTags([tag], from: "tags", by: replica)
            default:
                next = state.updating(
                    ["tags": .tags(Set(Self.tagPool.filter { _ in random.chance(0.4) }))], by: replica)
            }
        } else if roll < 0.66 {
            next = state.deleting(by: replica)
        } else if roll < 0.80, let conflict = state.conflicts.randomElement(using: &random) {
            stats.resolutions += 1
            switch conflict {
            case .field(let name, let candidates):
                // Keep one candidate, or (for the text) write a new version.
                let chosen =
                    name == "body" && random.chance(0.5)
                    ? FieldValue.text("resolved " + token() + "\n") : random.pick(candidates).value
                next = state.resolving(field: name, with: chosen, by: replica)
            case .deleteVersusEdit:
                next = state.resolvingDeleteConflict(keep: random.chance(0.5), by: replica)
            }
        } else if roll < 0.84 && state.isDeleted {
            next = state.restoring(by: replica)
        } else {
            return
        }
        apply(next, at: index)
    }

    /// An edit of the shown body (or of one candidate, when in conflict): a line inserted,
    /// changed or removed.
    private mutating func editedBody(of state: Record) -> String {
        let candidates = state.writes(of: "body").compactMap(\.value.textValue)
        let current =
            state.isInConflict(field: "body")
            ? random.pick(candidates) : (state.value("body")?.textValue ?? "")
        var lines = ThreeWayMerge.lines(of: current).map(String.init)
        let position = Int.random(in: 0...lines.count, using: &random)
        switch Int.random(in: 0..<3, using: &random) {
        case 0 where position < lines.count: lines[position] = "changed \(token())\n"
        case 1 where position < lines.count && lines.count > 1: lines.remove(at: position)
        default: lines.insert("inserted \(token())\n", at: position)
        }
        return lines.joined()
    }
}
