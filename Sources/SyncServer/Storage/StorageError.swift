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
    /// A pushed record already belongs to another team; `index` is its position in the batch.
    case recordInAnotherTeam(RecordKey, index: Int)
    /// Another device (or the server itself) already holds the replica id an enrolling device brought.
    case replicaInUse(String)
    /// The enrolment code is unknown, already used, or expired (deliberately not saying which).
    case invalidEnrolmentCode
    /// A name (team, adviser) is not an acceptable identifier.
    case invalidName(String, reason: String)
    /// The database URL cannot be understood.
    case invalidDatabaseURL(String, reason: String)
    /// The database schema was written by a newer version of the server.
    case unknownMigrations([String])
    /// The database could not be reached or failed; `underlying` describes the driver's error.
    case backend(operation: String, underlying: String)

    public var description: String {
        switch self {
        case .teamNotFound(let name): "no team named '\(name)'"
        case .teamExists(let name): "a team named '\(name)' exists already"
        case .adviserNotFound(let name): "no adviser named '\(name)'"
        case .deviceNotFound(let id): "no device with id '\(id)'"
        case .recordInAnotherTeam(let key, _): "record \(key) belongs to another team"
        case .replicaInUse(let replica): "replica id '\(replica)' is held by another device"
        case .invalidEnrolmentCode: "the enrolment code is unknown, used or expired"
        case .invalidName(let name, let reason): "'\(name)' is not a valid name: \(reason)"
        case .invalidDatabaseURL(let url, let reason): "cannot use database '\(url)': \(reason)"
        case .unknownMigrations(let names):
            "the database was migrated by a newer server (unknown migrations: \(names.joined(separator: ", ")))"
        case .backend(let operation, let underlying): "storage failed during \(operation): \(underlying)"
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
