import LocalStore
import SyncProtocol

/// The convergence oracle, run at quiescence (every device online, faults off, synced until nothing
/// moves). It checks, without trusting the merge under test:
///
/// 1. every device's state equals the server's, and no device has unsynced writes;
/// 2. every write a device made is in the final state with its value, or was replaced by a later
///    write whose author saw it (causally overwritten); no dot appears that nobody wrote;
/// 3. the final state is the join (under the protocol's merge) of all states the writes produced;
/// 4. every conflict shown stems from concurrent writes (none invented), and every field holding
///    concurrent values that do not merge is shown as a conflict, on the server and on every device;
/// 5. a purged record holds nothing anywhere, and none of its text is left in any record;
/// 6. for encrypted `LocalStore` devices, what the store's queries show matches the final state;
/// 7. (version 2) each device holds exactly the records its team reads, computed from the server's final state
///    with the scope rule; a record that left a LocalStore device is gone from its tables and its search index;
///    a write is not lost when the device kept it aside because its team's access ended before it was pushed.
struct Oracle {
    let simulation: Simulation
    private(set) var failures: [OracleFailure] = []
    private(set) var failureCount = 0
    /// The server's final records, read through its storage.
    private(set) var serverRecords: [RecordKey: Record] = [:]
    /// The records each team reads at the end (by team index): its readers, computed from the server's final
    /// state with the protocol's scope rule.
    private(set) var finalRecords: [[RecordKey: Record]] = []
    /// Local states devices kept aside when their team's access ended before the change was pushed, joined.
    private(set) var setAside: [RecordKey: Record] = [:]
    /// Writes found only in states kept aside (reported, not lost).
    private(set) var writesKeptAside = 0

    init(simulation: Simulation) {
        self.simulation = simulation
    }

    mutating func fail(_ kind: String, _ detail: String) {
        failureCount += 1
        if failures.count < 50 { failures.append(OracleFailure(kind: kind, detail: detail)) }
    }

    mutating func check(converged: Bool) async {
        for failure in simulation.runFailures { fail(failure.kind, failure.detail) }
        if !converged {
            fail("not-quiescent", "devices still moved after \(simulation.options.maxQuiescenceRounds) rounds")
        }
        do {
            let records = try await simulation.server.records()
            serverRecords = Dictionary(records.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        } catch {
            fail("server", "the server's records cannot be read: \(error)")
        }
        finalRecords = readSets()
        for device in simulation.devices {
            for (key, state) in await device.storage.setAside {
                setAside[key] = setAside[key].map { $0.merged(with: state) } ?? state
            }
        }
        checkWrites()
        await checkDevices()
        checkPurges()
    }

    // MARK: Devices equal the server

    private mutating func checkDevices() async {
        for device in simulation.devices {
            let expected = finalRecords[device.spec.team]
            let pending = (try? await device.storage.pendingChangeCount()) ?? -1
            if pending != 0 { fail("unsynced", "\(device.name) still has \(pending) outbox entries") }
            let held = await device.storage.records()
            var seen = 0
            for record in held {
                guard let server = expected[record.key] else {
                    fail("divergence", "\(device.name) holds \(simulation.alias(record.key)), the server does not")
                    continue
                }
                seen += 1
                if server != record {
                    fail(
                        "divergence",
                        "\(device.name) \(simulation.alias(record.key)): device clock \(record.clock) "
                            + "vs server \(server.clock)")
                }
            }
            if seen != expected.count {
                let missing = Set(expected.keys).subtracting(held.map(\.key)).sorted().prefix(3)
                fail(
                    "divergence",
                    "\(device.name) holds \(seen) of the team's \(expected.count) records; missing "
                        + missing.map { simulation.alias($0) }.joined(separator: " "))
            }
            await checkConflictsShown(on: device, expected: expected)
            if let store = await device.storage.localStore {
                checkProjection(of: store, device: device.name, expected: expected)
                await checkRemovals(of: store, device: device, expected: expected)
            }
        }
    }

    /// The conflicts a person sees on the device are exactly the records in conflict.
    private mutating func checkConflictsShown(on device: SimulatedDevice, expected: [RecordKey: Record]) async {
        let isLocal = await device.storage.isLocalStore
        // LocalStore shows conflicts of live records (a deleted record has no row to show it on).
        let wanted = Set(expected.values.filter { $0.isInConflict && (!isLocal || !$0.isDeleted) }.map(\.key))
        guard let shown = try? await device.storage.conflictedKeys() else {
            fail("store", "\(device.name) cannot list its conflicts")
            return
        }
        let shownSet = Set(shown)
        for key in wanted.subtracting(shownSet).sorted() {
            fail("hidden-conflict", "\(device.name) does not show the conflict of \(simulation.alias(key))")
        }
        for key in shownSet.subtracting(wanted).sorted() {
            fail("invented-conflict", "\(device.name) shows a conflict on \(simulation.alias(key)) that is not there")
        }
    }

    // MARK: Writes

    private mutating func checkWrites() {
        for key in simulation.ledger.histories.keys.sorted() {
            let history = simulation.ledger.histories[key]!
            let name = simulation.alias(key)
            guard let final = serverRecords[key] else {
                if setAside[key] != nil {
                    writesKeptAside += history.added.values.reduce(0) { $0 + $1.count }
                } else {
                    fail("lost-write", "\(name) was written but never reached the server")
                }
                continue
            }
            // A write kept aside on a device never reached the server: the join of what was written may be ahead.
            if final != history.join && setAside[key] == nil {
                fail(
                    "join",
                    "\(name): the server's state is not the join of the states written "
                        + "(server clock \(final.clock), join clock \(history.join.clock))")
            }
            for (replica, counter) in final.clock.entries where counter > history.highest[replica] ?? 0 {
                fail(
                    "invented-write",
                    "\(name): clock claims \(replica):\(counter), the highest written is "
                        + "\(history.highest[replica] ?? 0)")
            }
            if history.purged {
                if !final.isPurged || !final.registers.isEmpty || !final.tagSets.isEmpty || !final.presence.isEmpty {
                    fail("purge", "\(name) was purged but the server still holds content")
                }
                continue
            }
            if final.isPurged { fail("invented-write", "\(name) is purged but nobody purged it") }
            checkSlots(of: final, history: history, name: name)
            checkConflicts(of: final, history: history, name: name)
        }
    }

    /// Every written dot is live with its value or was replaced by a write that saw it; every live dot
    /// was written.
    private mutating func checkSlots(of final: Record, history: WriteLedger.History, name: String) {
        let live = WriteLedger.slots(of: final)
        // Compaction may drop the content of a record whose delete every replica has seen; content the
        // delete's writer had seen is then gone legitimately.
        func compactedAway(_ dot: Dot, _ slot: WriteLedger.Slot) -> Bool {
            guard final.isDeleted, slot != .presence else { return false }
            return final.presence.keys.contains { history.context[$0]?.contains(dot) == true }
        }
        for (slot, dots) in history.added {
            for (dot, value) in dots {
                if let kept = live[slot]?[dot] {
                    if kept != value { fail("lost-write", "\(name).\(slot) \(dot): value changed after the write") }
                } else if history.replaced[slot]?.contains(dot) != true && !compactedAway(dot, slot) {
                    if let kept = setAside[final.key], WriteLedger.slots(of: kept)[slot]?[dot] != nil {
                        writesKeptAside += 1
                    } else {
                        fail("lost-write", "\(name).\(slot): write \(dot) is gone, and no later write saw it")
                    }
                }
            }
        }
        for (slot, dots) in live {
            for dot in dots.keys where history.added[slot]?[dot] == nil {
                fail("invented-write", "\(name).\(slot): \(dot) was never written")
            }
        }
    }

    /// Conflicts are exactly the concurrent writes that do not merge.
    private mutating func checkConflicts(of final: Record, history: WriteLedger.History, name: String) {
        func concurrent(_ a: Dot, _ b: Dot) -> Bool {
            guard let seenByA = history.context[a], let seenByB = history.context[b] else { return false }
            return !seenByA.contains(b) && !seenByB.contains(a)
        }
        for conflict in final.conflicts {
            switch conflict {
            case .field(let field, let candidates):
                if Self.mergeable(candidates) {
                    fail("invented-conflict", "\(name).\(field) is flagged although its values merge")
                }
                for (i, a) in candidates.enumerated() {
                    for b in candidates[(i + 1)...] where !concurrent(a.dot, b.dot) {
                        fail("invented-conflict", "\(name).\(field): \(a.dot) and \(b.dot) are not concurrent")
                    }
                }
            case .deleteVersusEdit(let deletes, let edits):
                for a in deletes {
                    for b in edits where !concurrent(a, b) {
                        fail("invented-conflict", "\(name): delete \(a) and edit \(b) are not concurrent")
                    }
                }
            }
        }
        for (field, writes) in final.registers where writes.count > 1 {
            if !Self.mergeable(writes) && !final.isInConflict(field: field) {
                fail("hidden-conflict", "\(name).\(field) holds \(writes.count) values but shows no conflict")
            }
        }
        let flags = Set(final.presence.values)
        if flags.count == 2 && !final.conflicts.contains(where: { $0.fieldName == nil }) {
            fail("hidden-conflict", "\(name) was deleted and edited concurrently but shows no conflict")
        }
    }

    /// The protocol's rule, restated: equal values, or text edits of one known base that merge three-way.
    static func mergeable(_ writes: [FieldWrite]) -> Bool {
        guard let first = writes.first else { return true }
        if writes.allSatisfy({ $0.value == first.value }) { return true }
        guard let base = first.base, case .text(var merged) = first.value else { return false }
        for write in writes.dropFirst() {
            guard write.base == base, case .text(let theirs) = write.value,
                let next = ThreeWayMerge.merge(base: base, ours: merged, theirs: theirs)
            else { return false }
            merged = next
        }
        return true
    }

    // MARK: Purges

    /// No text of a purged record survives in any record of its team (the devices equal the server,
    /// checked above, so the server's records stand for every device's).
    private mutating func checkPurges() {
        let ledger = simulation.ledger
        var tokensByTeam: [Int: [String: RecordKey]] = [:]
        for (key, history) in ledger.histories where history.purged {
            guard let team = simulation.teamOf[key] else { continue }
            for dots in history.added.values {
                for value in dots.values {
                    guard let text = value.stringValue else { continue }
                    for token in NoteText.tokens(in: text) { tokensByTeam[team, default: [:]][token] = key }
                }
            }
        }
        for team in tokensByTeam.keys.sorted() {
            let tokens = tokensByTeam[team]!
            for record in finalRecords[team].values {
                for writes in record.registers.values {
                    for write in writes {
                        for text in [write.value.stringValue, write.base].compactMap({ $0 }) {
                            for token in NoteText.tokens(in: text) {
                                if let purged = tokens[token] {
                                    fail(
                                        "purge",
                                        "text of purged \(simulation.alias(purged)) survives in "
                                            + "\(simulation.alias(record.key))")
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
