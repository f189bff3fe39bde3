import SyncProtocol

/// Why a storage operation failed, with what it was about.
public enum StorageError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The named team does not exist.
    case teamNotFound(String)
    /// A team with this name exists already.
    case teamExists(String)
    /// The named adviser does not exist.
    case adviserNotFound(String)
    /// No device has this identifier.
    case deviceNotFound(String)
    /// Another device (or the server itself) already holds the replica id an enrolling device brought.
    case replicaInUse(String)
    /// The enrolment code is unknown, already used, or expired (deliberately not saying which).
    case invalidEnrolmentCode
    /// Re-enrolment: the previous token is not the token of a device of the enrolment code's adviser.
    case invalidPreviousToken
    /// A name (team, adviser) is not an acceptable identifier.
    case invalidName(String, reason: String)
    /// The database URL cannot be understood.
    case invalidDatabaseURL(String, reason: String)
    /// The database schema was written by a newer version of the server.
    case unknownMigrations([String])
    /// The database could not be reached or failed; `underlying` describes the driver's error.
    case backend(operation: String, underlying: String)
    /// A key file cannot be created or used; `reason` never contains key material.
    case keyFile(String, reason: String)
    /// The SQLite database at the path does not open with the key of the key file.
    case wrongKey(database: String, keyFile: String)
    /// The SQLite database at the path is not a plain database (it may be encrypted: no key was given).
    case notPlainDatabase(String)
    /// A key was given but the SQLite database at the path is a plain (unencrypted) one.
    case notEncrypted(String)
    /// Another process (a running server, a restore) holds the database's lock file.
    case databaseInUse(String, lockFile: String)
    /// An option does not apply to this kind of database.
    case unsupported(String)
    /// A backup or restore cannot proceed.
    case backup(String)
    /// The records of the PostgreSQL database are encrypted (under the key with this id) and no key was given.
    case recordKeyRequired(database: String, keyID: String)
    /// The records of the PostgreSQL database are encrypted under another key than the one in the key file.
    case wrongRecordKey(database: String, keyFile: String, keyID: String, expected: String)
    /// A key was given, but the PostgreSQL database holds records stored in the clear.
    case recordsNotEncrypted(database: String, count: Int)
    /// A sealed record does not open (altered, moved to another row, another key), or cannot be sealed; the
    /// record is named by its key, never by its content.
    case sealedRecord(String, reason: String)

    /// One line for the administrator or the log, naming what the failure is about.
    public var description: String {
        switch self {
        case .teamNotFound(let name): "no team named '\(name)'"
        case .teamExists(let name): "a team named '\(name)' exists already"
        case .adviserNotFound(let name): "no adviser named '\(name)'"
        case .deviceNotFound(let id): "no device with id '\(id)'"
        case .replicaInUse(let replica): "replica id '\(replica)' is held by another device"
        case .invalidEnrolmentCode: "the enrolment code is unknown, used or expired"
        case .invalidPreviousToken: "the previous token is not the token of a device of this adviser"
        case .invalidName(let name, let reason): "'\(name)' is not a valid name: \(reason)"
        case .invalidDatabaseURL(let url, let reason): "cannot use database '\(url)': \(reason)"
        case .unknownMigrations(let names):
            "the database was migrated by a newer server (unknown migrations: \(names.joined(separator: ", ")))"
        case .backend(let operation, let underlying): "storage failed during \(operation): \(underlying)"
        case .keyFile(let path, let reason): "key file '\(path)': \(reason)"
        case .wrongKey(let database, let keyFile):
            "cannot decrypt '\(database)' with the key in '\(keyFile)': wrong key, not encrypted, or damaged"
        case .notPlainDatabase(let path):
            "'\(path)' is not a plain SQLite database: if it is encrypted, give its --encryption-key-file"
        case .notEncrypted(let path):
            "'\(path)' is a plain database, not encrypted: to encrypt it, see 'admin backup --to-encryption-key-file'"
        case .databaseInUse(let path, let lockFile):
            "'\(path)' is in use by another process (a running server holds '\(lockFile)'): stop it first"
        case .unsupported(let reason): reason
        case .backup(let reason): reason
        case .recordKeyRequired(let database, let keyID):
            "the records in '\(database)' are encrypted (key id \(keyID)): give its --encryption-key-file"
        case .wrongRecordKey(let database, let keyFile, let keyID, let expected):
            "cannot decrypt the records in '\(database)' with the key in '\(keyFile)' (key id \(keyID)): "
                + "wrong key, they are encrypted under key id \(expected)"
        case .recordsNotEncrypted(let database, let count):
            "'\(database)' holds \(count) records stored in the clear: encrypt them first with "
                + "'admin encrypt-records --to-encryption-key-file FILE' (given without --encryption-key-file)"
        case .sealedRecord(let record, let reason): "cannot decrypt record '\(record)': \(reason)"
        }
    }
}

/// The rules for the names of teams and advisers: they appear in URLs, logs and the audit trail.
public enum Names {
    /// The longest name accepted, in bytes.
    public static let maxLength = 64

    /// Throws ``StorageError/invalidName(_:reason:)`` unless `name` is 1–64 of `[A-Za-z0-9._-]`,
    /// starting with a letter or digit.
    public static func validate(_ name: String) throws(StorageError) {
        guard !name.isEmpty, name.utf8.count <= maxLength else {
            throw .invalidName(name, reason: "must be 1 to \(maxLength) characters")
        }
        let allowed = name.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII
                && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
                    || scalar == "." || scalar == "_" || scalar == "-")
        }
        guard allowed else { throw .invalidName(name, reason: "use letters, digits, '.', '_' and '-' only") }
        guard let first = name.unicodeScalars.first, first != ".", first != "_", first != "-" else {
            throw .invalidName(name, reason: "must start with a letter or a digit")
        }
    }
}
