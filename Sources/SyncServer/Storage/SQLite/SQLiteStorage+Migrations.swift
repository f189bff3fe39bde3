import Foundation
import GRDB
import SyncProtocol

extension SQLiteStorage {
    /// The schema's named migrations. Never edit one that has shipped: add a new one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("2026-11-23-1-initial") { db in
            try db.execute(
                sql: """
                    CREATE TABLE teams (
                        name TEXT PRIMARY KEY NOT NULL,
                        created_at REAL NOT NULL,
                        last_seq INTEGER NOT NULL DEFAULT 0
                    );
                    CREATE TABLE advisers (
                        name TEXT PRIMARY KEY NOT NULL,
                        created_at REAL NOT NULL,
                        can_purge INTEGER NOT NULL DEFAULT 0
                    );
                    CREATE TABLE memberships (
                        adviser TEXT NOT NULL REFERENCES advisers(name),
                        team TEXT NOT NULL REFERENCES teams(name),
                        created_at REAL NOT NULL,
                        PRIMARY KEY (adviser, team)
                    );
                    CREATE INDEX memberships_by_team ON memberships(team);
                    CREATE TABLE devices (
                        id TEXT PRIMARY KEY NOT NULL,
                        adviser TEXT NOT NULL REFERENCES advisers(name),
                        replica TEXT NOT NULL UNIQUE,
                        label TEXT NOT NULL,
                        token_digest TEXT NOT NULL UNIQUE,
                        enrolled_at REAL NOT NULL,
                        revoked_at REAL
                    );
                    CREATE TABLE enrolment_codes (
                        digest TEXT PRIMARY KEY NOT NULL,
                        adviser TEXT NOT NULL REFERENCES advisers(name),
                        created_at REAL NOT NULL,
                        expires_at REAL NOT NULL,
                        used_at REAL,
                        device_id TEXT
                    );
                    CREATE TABLE records (
                        collection TEXT NOT NULL,
                        id TEXT NOT NULL,
                        team TEXT NOT NULL REFERENCES teams(name),
                        body TEXT NOT NULL,
                        seq INTEGER NOT NULL,
                        PRIMARY KEY (collection, id)
                    );
                    CREATE UNIQUE INDEX records_by_seq ON records(team, seq);
                    CREATE TABLE audit_log (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        at REAL NOT NULL,
                        action TEXT NOT NULL,
                        device_id TEXT,
                        adviser TEXT,
                        team TEXT,
                        record_ids TEXT NOT NULL
                    );
                    CREATE INDEX audit_by_device ON audit_log(device_id, at);
                    CREATE TABLE server_settings (
                        name TEXT PRIMARY KEY NOT NULL,
                        value TEXT NOT NULL
                    );
                    """)
            // The server's own replica id, chosen once per database so every process serving it agrees.
            try db.execute(
                sql: "INSERT INTO server_settings (name, value) VALUES ('replica', ?)",
                arguments: [ReplicaID.random().rawValue])
        }
        migrator.registerMigration("2026-11-23-2-device-positions") { db in
            try db.execute(
                sql: """
                    CREATE TABLE device_positions (
                        device_id TEXT NOT NULL REFERENCES devices(id),
                        team TEXT NOT NULL REFERENCES teams(name),
                        seq INTEGER NOT NULL,
                        PRIMARY KEY (device_id, team)
                    );
                    """)
        }
        migrator.registerMigration("2026-11-23-3-audit-outcome") { db in
            try db.execute(
                sql: """
                    ALTER TABLE audit_log ADD COLUMN outcome TEXT NOT NULL DEFAULT 'ok';
                    ALTER TABLE audit_log ADD COLUMN detail TEXT;
                    """)
        }
        migrator.registerMigration("2026-11-30-1-scopes") { db in
            // Protocol version 2: a record's readers are a set of teams. Each team's feed lists what it reads at
            // its latest position, and what it stopped reading as a removal; records keep their home team and
            // the routing columns the feed planner needs without decoding bodies.
            try db.execute(
                sql: """
                    CREATE TABLE feed (
                        team TEXT NOT NULL REFERENCES teams(name),
                        collection TEXT NOT NULL,
                        id TEXT NOT NULL,
                        seq INTEGER NOT NULL,
                        removed INTEGER NOT NULL DEFAULT 0,
                        PRIMARY KEY (team, collection, id)
                    );
                    CREATE UNIQUE INDEX feed_by_seq ON feed(team, seq);
                    CREATE INDEX feed_by_record ON feed(collection, id);
                    INSERT INTO feed (team, collection, id, seq, removed)
                        SELECT team, collection, id, seq, 0 FROM records;
                    DROP INDEX records_by_seq;
                    ALTER TABLE records ADD COLUMN scope TEXT NOT NULL DEFAULT '';
                    UPDATE records SET scope = team;
                    ALTER TABLE records ADD COLUMN subject TEXT;
                    ALTER TABLE records ADD COLUMN min_version INTEGER NOT NULL DEFAULT 1;
                    ALTER TABLE records ADD COLUMN access_ends TEXT;
                    CREATE TABLE partners (
                        team TEXT NOT NULL REFERENCES teams(name),
                        partner TEXT NOT NULL REFERENCES teams(name),
                        created_at REAL NOT NULL,
                        PRIMARY KEY (team, partner)
                    );
                    """)
            // Notes written before version 2 name their subject only in their body.
            let notes = try Row.fetchAll(db, sql: "SELECT id, body FROM records WHERE collection = 'notes'")
            for row in notes {
                let body: String = row["body"]
                guard let record = try? WireCoding.decode(Record.self, from: Data(body.utf8)),
                    let subject = record.subjectID
                else { continue }
                try db.execute(
                    sql: "UPDATE records SET subject = ? WHERE collection = 'notes' AND id = ?",
                    arguments: [subject, row["id"] as String])
            }
            try db.execute(
                sql: """
                    CREATE INDEX records_by_subject ON records(subject) WHERE subject IS NOT NULL;
                    CREATE INDEX records_by_access_end ON records(access_ends) WHERE access_ends IS NOT NULL;
                    """)
        }
        migrator.registerMigration("2026-11-30-2-earlier-replicas") { db in
            // Re-enrolment (README §4.1): the replica ids of the devices a device replaced, space-separated, oldest
            // first. The push rule counts them as the device's own.
            try db.execute(sql: "ALTER TABLE devices ADD COLUMN earlier_replicas TEXT NOT NULL DEFAULT ''")
        }
        migrator.registerMigration(retentionMigration, migrate: migrateRetention)
        return migrator
    }
}
