import Foundation
import SyncProtocol

/// The version-2 part of the workload (``Workload/scopes``): partner teams share young people's courses with
/// consent, share single notes, end sharing, and hand courses over to each other, at once or with an overlap whose
/// end the server's ``AccessExpiry`` carries out on its day.
extension Simulation {
    /// A scope action of an adviser: share a subject, share a note, unshare, or hand over.
    func scopeAction(on device: SimulatedDevice, adviser: Roster.Adviser) async -> LocalAction? {
        let own = roster.teams[adviser.team].name
        let partners = roster.partners(of: adviser.team).map { roster.teams[$0].name }
        let storage = device.storage
        let draw = device.random.unit()
        // Subjects this device holds, mostly the adviser's own caseload.
        let pool =
            device.random.chance(0.6) && !caseloads[adviser.index].isEmpty
            ? caseloads[adviser.index] : await storage.subjects
        guard !pool.isEmpty else { return nil }
        let key = device.random.pick(pool)
        guard let subject = await storage.record(key), !subject.isDeleted, let reference = references[key] else {
            return nil
        }
        let scope = subject.scope(home: home(of: key))
        let partner = device.random.pick(partners)
        if draw < 0.35 {
            return .shareSubject(key, reference: reference, team: partner, ownTeam: own)
        }
        if draw < 0.6 {
            // A recent note about a shared subject, shared with one of the subject's other teams.
            for note in await storage.notes.suffix(60).reversed() {
                guard let record = await storage.record(note), !record.isDeleted, let subjectID = record.subjectID
                else { continue }
                let subjectKey = RecordKey(collection: ScopeFields.subjects, id: subjectID)
                guard let about = await storage.record(subjectKey) else { continue }
                let others = about.scope(home: home(of: subjectKey)).subtracting([own])
                    .subtracting(record.scopeTeams).sorted()
                if !others.isEmpty { return .shareNote(note, team: device.random.pick(others), ownTeam: own) }
            }
            return .shareSubject(key, reference: reference, team: partner, ownTeam: own)
        }
        if draw < 0.8 {
            // Consent withdrawn for one of the shared subjects this device holds.
            let held = await storage.subjects
            guard !held.isEmpty else { return nil }
            let offset = device.random.int(0..<held.count)
            for index in held.indices {
                let candidate = held[(offset + index) % held.count]
                guard let record = await storage.record(candidate), !record.isDeleted,
                    let candidateReference = references[candidate]
                else { continue }
                let shared = record.scope(home: home(of: candidate)).union(record.consentTeams).subtracting([own])
                if !shared.isEmpty {
                    return .unshareSubject(
                        candidate, reference: candidateReference, team: device.random.pick(shared.sorted()))
                }
            }
            return nil
        }
        // A handover to an adviser of a partner team.
        guard let receiving = roster.teams.first(where: { $0.name == partner }), !receiving.advisers.isEmpty else {
            return nil
        }
        let receiver = roster.advisers[device.random.pick(receiving.advisers)].name
        var endsOn: String?
        if device.random.chance(0.6) {
            endsOn = AccessEndDay.of(date.addingTimeInterval(Double(device.random.int(1...2)) * 86_400))
        } else if await storage.hasUnsyncedChange(key) {
            // Ending the own team's access at once is for a subject the server holds as it is here (LocalStore
            // refuses it otherwise, and so does the person).
            return nil
        }
        return .handover(
            key, reference: reference, adviser: receiver, team: partner, ownTeam: own, noteID: device.random.hex(32),
            note: NoteText.line(takeToken(), random: &device.random) + "\n", endsOn: endsOn)
    }

    /// The team a record was first pushed to (the team of the device that created it).
    func home(of key: RecordKey) -> String {
        teamOf[key].map { roster.teams[$0].name } ?? ""
    }

    /// The server ends the accesses due at the virtual date, as it does every few minutes; its writes go into the
    /// ledger like any device's (they are writes of the server's replica).
    func expireAccess(at date: Date) async {
        guard let due = try? await server.storage.subjectsWithAccessEnding(onOrBefore: AccessEndDay.of(date)),
            !due.isEmpty
        else { return }
        let before = await serverSubjectsWithAccessEnds(all: false)
        do {
            let outcome = try await server.expireAccess(at: date)
            guard outcome.ended > 0 else { return }
            stats.accessEnded += outcome.ended
            record("server access-ended \(outcome.ended) on \(outcome.subjects) subjects")
        } catch {
            runFailures.append(OracleFailure(kind: "server", detail: "access expiry failed: \(error)"))
            return
        }
        let after = await serverSubjectsWithAccessEnds(all: true)
        for (key, old) in before.sorted(by: { $0.key < $1.key }) {
            guard let new = after[key], new != old else { continue }
            ledger.record(before: old, after: new, alias: alias(key))
        }
    }

    /// The subjects the server holds (with an access end, unless `all`), as they are now.
    private func serverSubjectsWithAccessEnds(all: Bool) async -> [RecordKey: Record] {
        guard let records = try? await server.subjects() else { return [:] }
        return Dictionary(
            records.filter { all || !$0.accessEnds.isEmpty }.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// A push the server refused as out of scope: the device does what its person would. A change of a record the
    /// team no longer reads (`forbidden_record`) is kept aside, as `fieldcli sync` does; a note shared with a team
    /// its subject is no longer shared with (`forbidden_scope`, a concurrent unshare) is narrowed again.
    func settleRefusal(_ error: SyncError, on device: SimulatedDevice) async {
        guard let body = error.errorBody, let collection = body.details?.collection, let id = body.details?.id else {
            return
        }
        let key = RecordKey(collection: collection, id: id)
        switch body.code {
        case .forbiddenRecord:
            do {
                if try await device.storage.setAsideRefusedChange(key, at: date) {
                    stats.setAside += 1
                    record("\(device.name) set-aside \(alias(key))")
                }
            } catch {
                runFailures.append(OracleFailure(kind: "store", detail: "\(device.name) set-aside: \(error)"))
            }
        case .forbiddenScope where collection == ScopeFields.notes:
            await perform(.narrowNote(key, ownTeam: roster.teams[device.spec.team].name), on: device)
        default:
            break
        }
    }
}
