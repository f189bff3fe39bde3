import Foundation
import SyncProtocol

extension Simulation {
    /// One local operation of an adviser's device, then perhaps a sync soon, perhaps going offline.
    func operate(_ device: SimulatedDevice) async {
        guard device.operationsLeft > 0 else { return }
        device.operationsLeft -= 1
        operationsPending -= 1
        if let action = await chooseAction(for: device) {
            let key = await perform(action, on: device)
            if case .addNote = action, let key, case .adviser(let adviser) = device.spec.role {
                notesBy[adviser].append(key)
            }
        } else {
            stats.operationsSkipped += 1
            record("\(device.name) nothing to do")
        }
        if device.operationsLeft > 0 {
            schedule(.operation(device.index), at: now + device.random.exponential(mean: options.meanOperationGap))
        }
        if faultsActive && device.online && device.random.chance(options.faults.offline) {
            goOffline(device)
        } else if device.random.chance(options.syncAfterWrite) {
            requestSync(device, at: now + Int64(device.random.int(1_000...60_000)))
        }
    }

    /// The team's data-protection console purges a note (legal erasure).
    func purge(team: Int) async {
        purgesPending -= 1
        let console = devices[roster.teams[team].console]
        let notes = await console.storage.notes
        guard !notes.isEmpty else {
            stats.operationsSkipped += 1
            return
        }
        let key = console.random.pick(notes)
        await perform(.purge(key), on: console)
        requestSync(console, at: now + 1_000)
    }

    /// Performs an action on a device's store and writes it in the ledger; returns the record's key.
    @discardableResult
    func perform(_ action: LocalAction, on device: SimulatedDevice) async -> RecordKey? {
        do {
            let write = try await device.storage.perform(action, at: date)
            var changes = write.others
            if let after = write.after { changes.insert((write.before, after), at: 0) }
            guard let first = changes.first?.after else {
                stats.operationsSkipped += 1
                record("\(device.name) \(action.kind) \(alias(action.key)): no change")
                return nil
            }
            for (before, after) in changes {
                if aliases[after.key] == nil {
                    aliases[after.key] = "\(after.collection == Schemas.notes.collection ? "n" : "s")\(aliases.count)"
                    teamOf[after.key] = device.spec.team
                }
                ledger.record(before: before, after: after, alias: alias(after.key))
            }
            stats.operations[action.kind, default: 0] += 1
            let others = changes.dropFirst().map { alias($0.after.key) }
            record(
                "\(device.name) \(action.kind) \(alias(first.key))\(first.isInConflict ? " (in conflict)" : "")"
                    + (others.isEmpty ? "" : " with \(others.joined(separator: " "))"))
            return write.after?.key ?? first.key
        } catch {
            stats.operationsSkipped += 1
            record("\(device.name) \(action.kind) refused")
            runFailures.append(OracleFailure(kind: "store", detail: "\(device.name) \(action.kind): \(error)"))
            return nil
        }
    }

    /// What the person at this device does next: mostly notes about their own young people, edits of
    /// recent notes (theirs and colleagues'), subject updates, tags, follow-ups, deletes, and settling
    /// conflicts they see.
    func chooseAction(for device: SimulatedDevice) async -> LocalAction? {
        guard case .adviser(let adviserIndex) = device.spec.role else { return nil }
        let adviser = roster.advisers[adviserIndex]
        let storage = device.storage
        if options.workload == .scopes, !roster.partners(of: adviser.team).isEmpty, device.random.chance(0.06) {
            return await scopeAction(on: device, adviser: adviser)
        }
        let draw = device.random.unit()
        if draw < 0.08, let action = await resolution(on: device) { return action }
        if draw < 0.38 {
            return await newNote(on: device, adviser: adviser)
        }
        if draw < 0.80, let key = await hotNote(on: device, adviser: adviser, own: draw < 0.53) {
            guard let note = await storage.record(key), !note.isDeleted else { return nil }
            switch draw {
            case ..<0.64:
                return .editBody(key, editedText(note.value("body")?.textValue ?? "", on: device))
            case ..<0.72:
                let current = note.value("tags")?.tagsValue ?? []
                if !current.isEmpty && device.random.chance(0.4) {
                    return .retag(key, add: [], remove: [device.random.pick(current.sorted())])
                }
                return .retag(key, add: [device.random.pick(NoteText.tags)], remove: [])
            case ..<0.77:
                let due =
                    device.random.chance(0.8)
                    ? Timestamp(
                        millisecondsSince1970: baseTime + now
                            + Int64(device.random.int(1...30)) * 86_400_000) : nil
                return .followUp(key, due)
            default:
                return device.random.chance(0.5)
                    ? .deleteNote(key)
                    : .editBody(
                        key, editedText(note.value("body")?.textValue ?? "", on: device))
            }
        }
        return await subjectEdit(on: device, adviser: adviser)
    }

    /// The virtual epoch: 2026-01-05 08:00 UTC, so dates in notes look like dates.
    var baseTime: Int64 { 1_767_600_000_000 }

    /// The virtual time as a date (for the server's administration and its calendar of access ends).
    var date: Date { Date(timeIntervalSince1970: Double(baseTime + now) / 1_000) }

    private func newNote(on device: SimulatedDevice, adviser: Roster.Adviser) async -> LocalAction? {
        var subject: RecordKey?
        if device.random.chance(0.85) {
            subject = caseloads[adviser.index].isEmpty ? nil : device.random.pick(caseloads[adviser.index])
        } else {
            // Covering for a colleague.
            let known = await device.storage.subjects
            subject = known.isEmpty ? nil : device.random.pick(known)
        }
        guard let subject, let reference = references[subject], await device.storage.record(subject) != nil else {
            return nil
        }
        var lines: [String] = []
        for _ in 0..<device.random.int(2...6) { lines.append(NoteText.line(takeToken(), random: &device.random)) }
        let tags = (0..<device.random.int(0...2)).map { _ in device.random.pick(NoteText.tags) }
        let draft = NoteDraft(
            kind: device.random.pick(NoteText.kinds),
            occurredAt: Timestamp(millisecondsSince1970: baseTime + now),
            place: device.random.pick(NoteText.places), body: lines.joined(separator: "\n") + "\n",
            tags: Array(Set(tags)).sorted(),
            followUp: device.random.chance(0.3)
                ? Timestamp(millisecondsSince1970: baseTime + now + 14 * 86_400_000) : nil)
        return .addNote(id: device.random.hex(32), subject: subject, reference: reference, note: draft)
    }

    /// A recent note: the adviser's own (any of their devices wrote it) or any the device holds.
    private func hotNote(on device: SimulatedDevice, adviser: Roster.Adviser, own: Bool) async -> RecordKey? {
        if own {
            let mine = notesBy[adviser.index].suffix(8)
            if !mine.isEmpty {
                let key = device.random.pick(mine)
                if await device.storage.record(key) != nil { return key }
            }
        }
        let known = await device.storage.notes
        guard !known.isEmpty else { return nil }
        // Colleagues mostly touch what was written lately: that is where concurrent edits happen.
        return device.random.chance(0.75) ? device.random.pick(known.suffix(10)) : device.random.pick(known)
    }

    /// A body edit: replace a line, insert one, or append one.
    func editedText(_ text: String, on device: SimulatedDevice) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        let fresh = NoteText.line(takeToken(), random: &device.random)
        let draw = device.random.unit()
        if lines.isEmpty || draw < 0.35 {
            lines.append(fresh)
        } else if draw < 0.8 {
            lines[device.random.int(0..<lines.count)] = fresh
        } else {
            lines.insert(fresh, at: device.random.int(0...lines.count))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func subjectEdit(on device: SimulatedDevice, adviser: Roster.Adviser) async -> LocalAction? {
        let own = caseloads[adviser.index]
        let known = await device.storage.subjects
        let pool = (device.random.chance(0.7) && !own.isEmpty) ? own : known
        guard !pool.isEmpty else { return nil }
        let key = device.random.pick(pool)
        guard let subject = await device.storage.record(key), let reference = references[key] else { return nil }
        let draw = device.random.unit()
        if draw < 0.4 {
            return .editSubject(
                key, reference: reference, status: device.random.pick(NoteText.statuses),
                nextStep: nil, responsible: nil)
        }
        if draw < 0.85 {
            let text = editedText(subject.value("nextStep")?.textValue ?? "", on: device)
            return .editSubject(key, reference: reference, status: nil, nextStep: text, responsible: nil)
        }
        // Handing the ball to a colleague in the team.
        let colleagues = roster.teams[adviser.team].advisers
        let colleague = roster.advisers[device.random.pick(colleagues)].name
        return .editSubject(key, reference: reference, status: nil, nextStep: nil, responsible: colleague)
    }

    /// A record's position in creation order (its alias number).
    func creationOrder(_ key: RecordKey) -> Int {
        aliases[key].flatMap { Int($0.dropFirst()) } ?? Int.max
    }

    /// The device that owns a replica id.
    func deviceNumber(_ replica: ReplicaID) -> Int {
        replicaOwners[replica] ?? Int.max
    }

    /// Settling a conflict the person sees: a candidate, a text merged by hand, keep or delete.
    private func resolution(on device: SimulatedDevice) async -> LocalAction? {
        guard let found = try? await device.storage.conflictCandidates(), !found.isEmpty else { return nil }
        // In creation order, not id order: LocalStore ids are random, choices must not depend on them.
        let keys = found.sorted { creationOrder($0) < creationOrder($1) }
        let key = device.random.pick(keys)
        guard let record = await device.storage.record(key), let conflict = record.conflicts.first else { return nil }
        switch conflict {
        case .field(let name, let candidates):
            var manual: String?
            if device.random.chance(0.3), candidates.allSatisfy({ $0.value.textValue != nil }) {
                // Merged by hand: every candidate's lines, each once.
                var seen = Set<String>()
                var lines: [String] = []
                let ordered = candidates.sorted {
                    (deviceNumber($0.dot.replica), $0.dot.counter) < (deviceNumber($1.dot.replica), $1.dot.counter)
                }
                for candidate in ordered {
                    let text = candidate.value.textValue ?? ""
                    for line in text.split(separator: "\n") where seen.insert(String(line)).inserted {
                        lines.append(String(line))
                    }
                }
                manual = lines.joined(separator: "\n") + "\n"
            }
            // Candidates come in dot order, which depends on replica ids; choose in device order instead.
            let byDevice = candidates.indices.sorted {
                (deviceNumber(candidates[$0].dot.replica), candidates[$0].dot.counter)
                    < (deviceNumber(candidates[$1].dot.replica), candidates[$1].dot.counter)
            }
            let choice = byDevice[device.random.int(0..<candidates.count)]
            return .resolveField(key, field: name, candidate: choice, manualText: manual)
        case .deleteVersusEdit:
            return .resolveDeletion(key, keep: device.random.chance(0.7))
        }
    }
}
