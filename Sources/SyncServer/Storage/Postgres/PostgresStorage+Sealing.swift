import Foundation
import PostgresNIO
import SyncProtocol

/// Per-record encryption of a PostgreSQL database (``RecordSealer``).
///
/// What is encrypted, row by row of `records`:
/// - the whole stored state (`body`: the record's fields, its version vector and field dots, its deletion): kept
///   in `sealed` as an AES-256-GCM envelope bound to the record's home team, collection and id, with `body` empty;
/// - a note's subject (`subject`): stored as the subject id's blind index (``RecordSealer/subjectIndex(_:)``), so
///   the notes about one subject are found by equality, but nothing in the row names the subject.
///
/// What stays in the clear, because the server routes, orders and expires records by it without opening them:
/// record ids and collections, the home team and scope (team names), feed positions and removals, the protocol
/// version a record needs, a subject's earliest access-end day, and every other table (teams, advisers, devices
/// and their labels, partners, device positions, the audit log: ids, actions, times and counts, no content).
///
/// The database remembers the key id it is encrypted under (`server_settings.record_key`), and a sealed database
/// has the CHECK constraint `records_sealed`, so a server started without the key cannot add a record in the
/// clear. ``checkRecordKey(_:)`` runs at every start (``migrate()``).
extension PostgresStorage {
    /// The `server_settings` entry that holds the key id the records are sealed under.
    static let recordKeySetting = "record_key"

    /// Refuses a key that is not the database's, a missing key for an encrypted database, and a key for a
    /// database that holds records in the clear; a key given for a database without records encrypts it from now
    /// on. Runs inside the migration transaction, under its lock.
    func checkRecordKey(_ connection: PostgresConnection) async throws {
        let stored = try await storedRecordKey(connection)
        switch (stored, sealer) {
        case (nil, nil):
            return
        case (let stored?, nil):
            throw StorageError.recordKeyRequired(database: databaseName, keyID: stored)
        case (let stored?, let sealer?):
            guard stored == sealer.keyID else {
                throw StorageError.wrongRecordKey(
                    database: databaseName, keyFile: sealer.keyFile, keyID: sealer.keyID, expected: stored)
            }
        case (nil, let sealer?):
            let count = try await recordCount(connection)
            guard count == 0 else { throw StorageError.recordsNotEncrypted(database: databaseName, count: count) }
            try await markSealed(connection, keyID: sealer.keyID)
            logger.info("encrypting the records of the database from now on", metadata: ["keyID": "\(sealer.keyID)"])
        }
    }

    /// What to store for a record's body: the JSON in `body` (no sealer), or an empty `body` and the envelope.
    func storedForm(of body: Data, home: String, key: RecordKey) throws -> (text: String, sealed: ByteBuffer) {
        guard let sealer else { return (String(decoding: body, as: UTF8.self), ByteBuffer()) }
        let envelope = try sealer.seal(body, for: RecordSealer.Place(home: home, key: key))
        return ("", ByteBuffer(bytes: envelope))
    }

    /// A stored record's body, opened if it is sealed. A sealed row read without a key, and a row in the clear
    /// read with one, are refused (neither happens while ``checkRecordKey(_:)`` and `records_sealed` hold).
    func openedBody(text: String, sealed: ByteBuffer?, home: String, key: RecordKey) throws -> Data {
        if let sealed {
            let envelope = Data(sealed.readableBytesView)
            guard let sealer else {
                throw StorageError.recordKeyRequired(
                    database: databaseName, keyID: RecordSealer.keyID(ofEnvelope: envelope) ?? "unknown")
            }
            return try sealer.open(envelope, for: RecordSealer.Place(home: home, key: key))
        }
        if sealer != nil {
            throw StorageError.sealedRecord(
                key.description, reason: "it is stored in the clear in an encrypted database")
        }
        return Data(text.utf8)
    }

    /// What the `subject` column holds for a note about `subject`: the id, or its blind index.
    func subjectColumn(_ subject: String) -> String {
        sealer?.subjectIndex(subject) ?? subject
    }

    /// The subject a stored note names: its `subject` column in the clear, or read from its opened body when the
    /// column holds a blind index.
    func storedSubject(column: String, body: Data, key: RecordKey) -> String? {
        guard sealer != nil else { return column.isEmpty ? nil : column }
        guard key.collection == ScopeFields.notes, !column.isEmpty else { return nil }
        return (try? WireCoding.decode(Record.self, from: body))?.subjectID
    }

    /// Seals every record under `target` (`admin encrypt-records`): records in the clear, or records sealed
    /// under this storage's key (key rotation), in one transaction that holds the write lock, so every server
    /// sees all records in the clear or all sealed under one key. Servers still running with the previous key
    /// (or none) fail closed afterwards: restart them with the new key file.
    ///
    /// - Returns: how many records were sealed; `nil` when the database is sealed under `target` already.
    public func encryptRecords(to target: RecordSealer) async throws -> Int? {
        try await transaction { connection in
            try await migrateSchema(connection)
            try await checkRecordKey(connection)
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.writeLockKey))", logger: logger)
            if try await storedRecordKey(connection) == target.keyID { return nil }
            var sealed = 0
            var after = (collection: "", id: "")
            while true {
                let rows = try await connection.query(
                    """
                    SELECT collection, id, team, body, sealed, coalesce(subject, '') FROM records
                    WHERE (collection, id) > (\(after.collection), \(after.id))
                    ORDER BY collection, id LIMIT 500
                    """,
                    logger: logger)
                var page: [(key: RecordKey, envelope: ByteBuffer, subject: String)] = []
                for try await (collection, id, home, text, envelope, subject) in rows.decode(
                    (String, String, String, String, ByteBuffer?, String).self)
                {
                    let key = RecordKey(collection: collection, id: id)
                    let body = try openedBody(text: text, sealed: envelope, home: home, key: key)
                    var newSubject = ""
                    if !subject.isEmpty {
                        guard let id = storedSubject(column: subject, body: body, key: key) else {
                            throw StorageError.sealedRecord(key.description, reason: "its subject cannot be read")
                        }
                        newSubject = target.subjectIndex(id)
                    }
                    let newEnvelope = try target.seal(body, for: RecordSealer.Place(home: home, key: key))
                    page.append((key, ByteBuffer(bytes: newEnvelope), newSubject))
                    after = (collection, id)
                }
                guard !page.isEmpty else { break }
                try await connection.query(
                    """
                    UPDATE records SET body = '', sealed = u.x, subject = nullif(u.s, '')
                    FROM unnest(\(page.map(\.key.collection))::text[], \(page.map(\.key.id))::text[],
                                \(page.map(\.envelope))::bytea[], \(page.map(\.subject))::text[]) AS u(c, i, x, s)
                    WHERE records.collection = u.c AND records.id = u.i
                    """,
                    logger: logger)
                sealed += page.count
            }
            try await markSealed(connection, keyID: target.keyID)
            logger.notice(
                "encrypted the records of the database", metadata: ["keyID": "\(target.keyID)", "records": "\(sealed)"])
            return sealed
        }
    }

    private func storedRecordKey(_ connection: PostgresConnection) async throws -> String? {
        let rows = try await connection.query(
            "SELECT value FROM server_settings WHERE name = \(Self.recordKeySetting)", logger: logger)
        var value: String?
        for try await text in rows.decode(String.self) { value = text }
        return value
    }

    private func recordCount(_ connection: PostgresConnection) async throws -> Int {
        let rows = try await connection.query("SELECT count(*)::int8 FROM records", logger: logger)
        var count: Int64 = 0
        for try await value in rows.decode(Int64.self) { count = value }
        return Int(count)
    }

    /// Records the key id and makes sure no record can be stored in the clear from now on.
    private func markSealed(_ connection: PostgresConnection, keyID: String) async throws {
        try await connection.query(
            """
            INSERT INTO server_settings (name, value) VALUES (\(Self.recordKeySetting), \(keyID))
            ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value
            """,
            logger: logger)
        try await connection.query("ALTER TABLE records DROP CONSTRAINT IF EXISTS records_sealed", logger: logger)
        try await connection.query(
            "ALTER TABLE records ADD CONSTRAINT records_sealed CHECK (sealed IS NOT NULL AND body = '')",
            logger: logger)
    }
}
