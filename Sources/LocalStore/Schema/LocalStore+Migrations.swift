import GRDB

extension LocalStore {
    /// The store's schema, one named migration per shipped change. Never edit a migration after it ships:
    /// add a new one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-records-projections-outbox") { db in
            // Key/value facts about this replica: its id, the adviser, sync cursor and credentials.
            try db.execute(
                sql: """
                    CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;
                    """)
            // The causal state of every record (SyncProtocol's Record, as JSON): the source of truth.
            // A rowid table: states are kilobytes, and WITHOUT ROWID tables store large rows poorly.
            try db.execute(
                sql: """
                    CREATE TABLE record (
                        rowid INTEGER PRIMARY KEY,
                        collection TEXT NOT NULL,
                        id TEXT NOT NULL,
                        state BLOB NOT NULL,
                        UNIQUE (collection, id)
                    );
                    """)
            // Projections of live records, for queries. Rebuilt from `record` whenever a record changes.
            try db.execute(
                sql: """
                    CREATE TABLE subject (
                        id TEXT PRIMARY KEY NOT NULL,
                        reference TEXT NOT NULL,
                        displayName TEXT NOT NULL,
                        status TEXT NOT NULL,
                        responsibleAdviser TEXT NOT NULL,
                        consentRecorded INTEGER NOT NULL,
                        consentAt INTEGER,
                        goals TEXT NOT NULL,
                        nextStep TEXT NOT NULL,
                        hasConflict INTEGER NOT NULL,
                        updatedAt INTEGER NOT NULL
                    );
                    CREATE INDEX subject_reference ON subject(reference);
                    CREATE TABLE note (
                        rowid INTEGER PRIMARY KEY,
                        id TEXT NOT NULL UNIQUE,
                        subjectID TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        occurredAt INTEGER NOT NULL,
                        place TEXT NOT NULL,
                        body TEXT NOT NULL,
                        tags TEXT NOT NULL,
                        followUp INTEGER,
                        author TEXT NOT NULL,
                        device TEXT NOT NULL,
                        hasConflict INTEGER NOT NULL,
                        updatedAt INTEGER NOT NULL
                    );
                    CREATE INDEX note_subject ON note(subjectID, occurredAt);
                    CREATE INDEX note_occurred ON note(occurredAt);
                    CREATE INDEX note_followup ON note(followUp) WHERE followUp IS NOT NULL;
                    CREATE VIRTUAL TABLE note_fts USING fts5(
                        body, tags, place, subject, tokenize = 'unicode61 remove_diacritics 2'
                    );
                    """)
            // Records changed locally since their last acknowledged push, in change order.
            try db.execute(
                sql: """
                    CREATE TABLE outbox (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        collection TEXT NOT NULL,
                        id TEXT NOT NULL,
                        UNIQUE (collection, id)
                    );
                    """)
        }
        migrator.registerMigration("v2-follow-up-done") { db in
            // A follow-up stays open until someone marks it done (it used to close when any later note came).
            try db.execute(sql: "ALTER TABLE note ADD COLUMN followUpDone INTEGER")
        }
        migrator.registerMigration("v3-set-aside-and-subject-sharing") { db in
            // Records this team stopped reading while they held local changes not yet pushed (protocol version 2,
            // `removed`): their whole local state, kept for a person to see and never pushed. Inside the encrypted
            // database like everything else. Not unique: a record can be set aside again after a later removal.
            try db.execute(
                sql: """
                    CREATE TABLE set_aside (
                        rowid INTEGER PRIMARY KEY,
                        collection TEXT NOT NULL,
                        id TEXT NOT NULL,
                        state BLOB NOT NULL,
                        setAsideAt INTEGER NOT NULL,
                        reason TEXT NOT NULL
                    );
                    """)
            // Who a subject is shared with, what the young person agreed to, and when access ends, projected from
            // the record like its other fields (JSON arrays of strings; the log as text). Stores of version 1 hold
            // no such values, so the defaults are their projection.
            try db.execute(
                sql: """
                    ALTER TABLE subject ADD COLUMN scope TEXT NOT NULL DEFAULT '[]';
                    ALTER TABLE subject ADD COLUMN consent TEXT NOT NULL DEFAULT '[]';
                    ALTER TABLE subject ADD COLUMN consentLog TEXT NOT NULL DEFAULT '';
                    ALTER TABLE subject ADD COLUMN accessEnds TEXT NOT NULL DEFAULT '[]';
                    """)
        }
        migrator.registerMigration("v4-subject-folds") { db in
            // Subjects merged into another (`mergedInto`, merge.md "Duplicate subjects"), and the subject their
            // notes are shown under once chains and cycles are followed. Derived from the records.
            try db.execute(
                sql: """
                    CREATE TABLE subject_fold (
                        id TEXT PRIMARY KEY NOT NULL,
                        mergedInto TEXT NOT NULL,
                        keptID TEXT NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX subject_fold_kept ON subject_fold(keptID);
                    """)
            try rebuildSubjectFolds(db)
        }
        migrator.registerMigration("v5-synced-clocks") { db in
            // Per record, the clock of what the server is known to hold (pulled states, acknowledged pushes): after
            // a restore from a backup it tells which own operations the server had (``Record/continuing``).
            try db.execute(
                sql: """
                    CREATE TABLE synced_clock (
                        collection TEXT NOT NULL,
                        id TEXT NOT NULL,
                        clock TEXT NOT NULL,
                        PRIMARY KEY (collection, id)
                    ) WITHOUT ROWID;
                    """)
            // A record with nothing queued is on the server as it is here.
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT collection, id, state FROM record r
                    WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.collection = r.collection AND o.id = r.id)
                    """)
            while let row = try rows.next() {
                let record = try RecordCoding.decode(row["state"])
                try storeSyncedClock(db, record.clock, collection: row["collection"], id: row["id"])
            }
        }
        return migrator
    }
}
