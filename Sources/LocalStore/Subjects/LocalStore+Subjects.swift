import Foundation
import GRDB
import SyncProtocol

extension LocalStore {
    /// Adds a subject and queues it for sync.
    ///
    /// - Throws: `LocalStoreError.invalidInput` for an empty reference or one already used by a live subject.
    @discardableResult
    public func addSubject(_ new: NewSubject) throws -> Subject {
        let reference = new.reference.trimmingCharacters(in: .whitespaces)
        guard !reference.isEmpty, reference.count <= 64 else {
            throw LocalStoreError.invalidInput("a subject reference must be 1–64 characters")
        }
        guard !Self.looksLikeCivilRegistrationNumber(reference) else {
            throw LocalStoreError.invalidInput(
                "'\(reference)' looks like a civil registration number; use a pseudonymous reference")
        }
        return try write { db in
            if try String.fetchOne(db, sql: "SELECT id FROM subject WHERE reference = ?", arguments: [reference]) != nil
            {
                throw LocalStoreError.invalidInput("a subject with reference '\(reference)' already exists")
            }
            var values: [String: FieldValue] = [
                "reference": .string(reference),
                "displayName": .string(new.displayName.isEmpty ? reference : new.displayName),
                "status": .string(new.status.rawValue),
                "responsibleAdviser": .string(new.responsibleAdviser ?? adviser),
                "consentRecorded": .bool(new.consentRecorded),
            ]
            if new.consentRecorded { values["consentAt"] = .timestamp(Timestamp(Date())) }
            if !new.goals.isEmpty { values["goals"] = .text(new.goals) }
            if !new.nextStep.isEmpty { values["nextStep"] = .text(new.nextStep) }
            let record = try SyncRecord.create(
                collection: Collection.subjects, id: Self.newRecordID(), values: values, by: replicaID,
                schema: Schemas.subjects)
            try saveRecord(db, record, local: true)
            return try fetchSubject(db, id: record.id)
        }
    }

    /// All live subjects, by reference; subjects merged into another are not listed. Subjects that share their
    /// reference with another (``Subject/duplicates``) are listed each.
    public func subjects() throws -> [Subject] {
        try read { db in
            let subjects = try Row.fetchAll(
                db, sql: "SELECT * FROM subject WHERE \(Self.shownSubject) ORDER BY reference, id"
            ).map(Subject.init(row:))
            let byReference = Dictionary(grouping: subjects, by: \.reference)
            return subjects.map { subject in
                var subject = subject
                subject.duplicates = byReference[subject.reference, default: []].map(\.id).filter { $0 != subject.id }
                return subject
            }
        }
    }

    /// The subject with this reference, or with this id or unique id prefix (a subject merged into another
    /// gives the one it was merged into).
    ///
    /// - Throws: `LocalStoreError.duplicateSubject` when the reference names several subjects: a caller that
    ///   needs one (a write) must not pick one silently. Readers use ``subjects(reference:)``.
    public func subject(reference: String) throws -> Subject {
        try read { db in try resolveSubject(db, reference) }
    }

    /// The subjects a reference names: one, or every duplicate of it (created on different devices and not yet
    /// merged), by id; a unique id prefix names one subject.
    public func subjects(reference: String) throws -> [Subject] {
        try read { db in try resolveSubjects(db, reference) }
    }

    /// Changes a subject and queues it for sync.
    @discardableResult
    public func editSubject(reference: String, _ changes: SubjectChanges) throws -> Subject {
        try write { db in
            let subject = try resolveSubject(db, reference)
            guard let record = try loadRecord(db, collection: Collection.subjects, id: subject.id) else {
                throw LocalStoreError.notFound(kind: "subject", id: reference)
            }
            var values: [String: FieldValue] = [:]
            if let name = changes.displayName { values["displayName"] = .string(name) }
            if let status = changes.status { values["status"] = .string(status.rawValue) }
            if let responsible = changes.responsibleAdviser { values["responsibleAdviser"] = .string(responsible) }
            if let consent = changes.consentRecorded {
                values["consentRecorded"] = .bool(consent)
                values["consentAt"] = consent ? .timestamp(Timestamp(Date())) : .null
            }
            if let goals = changes.goals { values["goals"] = .text(goals) }
            if let nextStep = changes.nextStep { values["nextStep"] = .text(nextStep) }
            let updated = record.updating(values, by: replicaID)
            try saveRecord(db, updated, local: true)
            return try fetchSubject(db, id: subject.id)
        }
    }

    // MARK: Helpers

    /// The one subject `reference` names (see ``subject(reference:)``).
    func resolveSubject(_ db: Database, _ reference: String) throws -> Subject {
        let subjects = try resolveSubjects(db, reference)
        guard subjects.count == 1 else {
            // Two devices created the same reference while offline: the id tells them apart.
            throw LocalStoreError.duplicateSubject(ids: subjects.map(\.id))
        }
        return subjects[0]
    }

    /// Every shown subject `reference` names: by reference (duplicates included), else by id or unique id prefix,
    /// where a subject merged into another stands for the one it was merged into. Sorted by id, never empty.
    func resolveSubjects(_ db: Database, _ reference: String) throws -> [Subject] {
        let byReference = try Row.fetchAll(
            db, sql: "SELECT * FROM subject WHERE reference = ? AND \(Self.shownSubject)", arguments: [reference]
        ).map(Subject.init(row:)).sorted { SubjectFolds.precedesInByteOrder($0.id, $1.id) }
        if !byReference.isEmpty {
            guard byReference.count > 1 else { return byReference }
            return byReference.map { subject in
                var subject = subject
                subject.duplicates = byReference.map(\.id).filter { $0 != subject.id }
                return subject
            }
        }
        let cleaned = reference.lowercased()
        guard !cleaned.isEmpty, cleaned.count <= 64, cleaned.allSatisfy({ $0.isHexDigit }) else {
            throw LocalStoreError.notFound(kind: "subject", id: reference)
        }
        // Folded subjects' rows are gone (their records are deleted), so their ids are looked up in the folds too.
        let matches = try Row.fetchAll(
            db,
            sql: """
                SELECT id, id AS keptID FROM subject WHERE id >= ?1 AND id < ?2 AND \(Self.shownSubject)
                UNION SELECT id, keptID FROM subject_fold WHERE id >= ?1 AND id < ?2
                ORDER BY id LIMIT 6
                """,
            arguments: [cleaned, cleaned + "\u{FFFF}"])
        let kept = Array(Set(matches.map { $0["keptID"] as String })).sorted()
        switch kept.count {
        case 0: throw LocalStoreError.notFound(kind: "subject", id: reference)
        case 1: return [try fetchSubject(db, id: kept[0])]
        default: throw LocalStoreError.ambiguousID(prefix: reference, matches: matches.map { $0["id"] as String })
        }
    }

    /// The SQL condition of a `subject` row that is shown as a subject: not merged into another.
    static let shownSubject = "id NOT IN (SELECT id FROM subject_fold WHERE keptID != id)"

    func fetchSubject(_ db: Database, id: String) throws -> Subject {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM subject WHERE id = ?", arguments: [id]) else {
            throw LocalStoreError.notFound(kind: "subject", id: id)
        }
        return try Subject(row: row)
    }

    /// Resolves a unique id prefix in `table`, as git does with commit ids.
    func resolveID(_ db: Database, table: String, kind: String, prefix: String) throws -> String {
        let cleaned = prefix.lowercased()
        guard !cleaned.isEmpty, cleaned.count <= 64, cleaned.allSatisfy({ $0.isHexDigit }) else {
            throw LocalStoreError.notFound(kind: kind, id: prefix)
        }
        let matches = try String.fetchAll(
            db, sql: "SELECT id FROM \(table) WHERE id >= ? AND id < ? ORDER BY id LIMIT 6",
            arguments: [cleaned, cleaned + "\u{FFFF}"])
        switch matches.count {
        case 0: throw LocalStoreError.notFound(kind: kind, id: prefix)
        case 1: return matches[0]
        default: throw LocalStoreError.ambiguousID(prefix: prefix, matches: matches)
        }
    }

    /// A Danish CPR number (DDMMYY-XXXX or ten digits) must never be a reference: references are pseudonyms.
    static func looksLikeCivilRegistrationNumber(_ text: String) -> Bool {
        let digits = text.filter(\.isNumber)
        let others = text.filter { !$0.isNumber && $0 != "-" && $0 != " " }
        return digits.count == 10 && others.isEmpty
    }
}

extension Subject {
    init(row: Row) throws {
        id = row["id"]
        reference = row["reference"]
        displayName = row["displayName"]
        status = SubjectStatus(rawValue: row["status"]) ?? .notEducationReady
        responsibleAdviser = row["responsibleAdviser"]
        consentRecorded = row["consentRecorded"]
        consentAt = (row["consentAt"] as Int64?).map { Date(timeIntervalSince1970: Double($0) / 1000) }
        goals = row["goals"]
        nextStep = row["nextStep"]
        hasConflict = row["hasConflict"]
        updatedAt = Date(timeIntervalSince1970: Double(row["updatedAt"] as Int64) / 1000)
        scope = LocalStore.stringArray(json: row["scope"])
        consent = LocalStore.stringArray(json: row["consent"])
        consentLog = row["consentLog"] ?? ""
        accessEnds = LocalStore.stringArray(json: row["accessEnds"])
    }
}
