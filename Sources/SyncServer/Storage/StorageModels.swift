import Foundation
import SyncProtocol

/// A team: the unit that owns records and that a device's adviser belongs to.
public struct Team: Sendable, Hashable, Codable {
    /// The team's name, also its identifier in URLs (`/v1/teams/{team}/...`).
    public var name: String
    /// When the team was created.
    public var createdAt: Date

    /// Creates a team value.
    public init(name: String, createdAt: Date) {
        self.name = name
        self.createdAt = createdAt
    }
}

/// A device as the administrator sees it.
public struct DeviceInfo: Sendable, Hashable, Codable {
    /// The device's identifier, chosen by the server at enrolment.
    public var id: String
    /// The adviser the device belongs to.
    public var adviser: String
    /// The label the device gave itself when enrolling (e.g. "laptop").
    public var label: String
    /// When the device enrolled.
    public var enrolledAt: Date
    /// The time of the device's latest audited push or pull, if any.
    public var lastSeenAt: Date?
    /// Whether the device has been revoked.
    public var revoked: Bool

    /// Creates a device description.
    public init(id: String, adviser: String, label: String, enrolledAt: Date, lastSeenAt: Date?, revoked: Bool) {
        self.id = id
        self.adviser = adviser
        self.label = label
        self.enrolledAt = enrolledAt
        self.lastSeenAt = lastSeenAt
        self.revoked = revoked
    }
}

/// A device as a team's directory lists it: names only, for devices to say who wrote a value.
public struct DirectoryEntry: Sendable, Hashable {
    /// The adviser the device belongs to.
    public var adviser: String
    /// The label the device gave itself when enrolling.
    public var label: String
    /// The device's replica id.
    public var replica: String
    /// Whether the device has been revoked.
    public var revoked: Bool

    /// Creates a directory entry.
    public init(adviser: String, label: String, replica: String, revoked: Bool) {
        self.adviser = adviser
        self.label = label
        self.replica = replica
        self.revoked = revoked
    }
}

/// Who is calling: the device a bearer token belongs to, its adviser and the adviser's teams.
public struct DeviceIdentity: Sendable, Hashable {
    /// The device's identifier.
    public var deviceID: String
    /// The replica id the server assigned to the device at enrolment.
    public var replica: String
    /// The adviser the device belongs to.
    public var adviser: String
    /// The teams the adviser is a member of: the only teams whose records the device may read or write.
    public var teams: Set<String>
    /// Whether the device has been revoked (a revoked device gets `401`).
    public var revoked: Bool
    /// Whether the adviser may push purges (legal erasure), which an administrator grants.
    public var canPurge: Bool
    /// The replica ids of the devices this one re-enrolled (README §4.1), oldest first: the device's store made
    /// their operations, so the push rule counts them as the device's own.
    public var earlierReplicas: [String]

    /// Creates an identity.
    public init(
        deviceID: String, replica: String, adviser: String, teams: Set<String>, revoked: Bool, canPurge: Bool = false,
        earlierReplicas: [String] = []
    ) {
        self.deviceID = deviceID
        self.replica = replica
        self.adviser = adviser
        self.teams = teams
        self.revoked = revoked
        self.canPurge = canPurge
        self.earlierReplicas = earlierReplicas
    }
}

/// A device being enrolled: what the storage needs to create it.
public struct NewDevice: Sendable, Hashable {
    /// The identifier the server picked for the device.
    public var id: String
    /// The replica id the server picked for the device.
    public var replica: String
    /// The label the device sent.
    public var label: String
    /// The SHA-256 digest of the device's token (see ``Secrets/tokenDigest(_:)``).
    public var tokenDigest: String
    /// Re-enrolment: the digest of the token of the device this one replaces (`EnrollRequest.previousToken`).
    public var previousTokenDigest: String?

    /// Creates a new device description.
    public init(id: String, replica: String, label: String, tokenDigest: String, previousTokenDigest: String? = nil) {
        self.id = id
        self.replica = replica
        self.label = label
        self.tokenDigest = tokenDigest
        self.previousTokenDigest = previousTokenDigest
    }
}

/// An entry of a team's change feed: a record at its latest position, or the news that the team stopped
/// reading it (protocol version 2).
public struct StoredRecord: Sendable, Hashable {
    /// Where the record lives.
    public var key: RecordKey
    /// The merged record, as the JSON the server hands to devices (empty for a removal).
    public var body: Data
    /// The position of the entry in the team's change sequence.
    public var seq: Int64
    /// Whether the team stopped reading the record at this position (its devices must drop it).
    public var removed: Bool

    /// Creates a feed entry.
    public init(key: RecordKey, body: Data, seq: Int64, removed: Bool = false) {
        self.key = key
        self.body = body
        self.seq = seq
        self.removed = removed
    }
}

/// A record as a push transaction finds it before merging.
public struct StoredState: Sendable, Hashable {
    /// The stored merged record.
    public var body: Data
    /// The team the record was first pushed to (its readers while its scope names no team).
    public var home: String
    /// The teams reading the record now (whose feeds list it).
    public var readers: Set<String>

    /// Creates a stored state.
    public init(body: Data, home: String, readers: Set<String>) {
        self.body = body
        self.home = home
        self.readers = readers
    }
}

/// What the storage needs to know about a record it stores, to route it into the right teams' feeds.
public struct RecordRouting: Sendable, Hashable {
    /// The record's scope (`Record.scope(home:)`).
    public var scope: Set<String>
    /// For a note, the subject it is about; its readers are its scope within the subject's.
    public var subject: String?
    /// The lowest protocol version that can represent the record (a version-1 pull leaves out the others).
    public var minimumVersion: Int
    /// For a subject, the earliest `accessEnds` entry (`YYYY-MM-DD`), so the expiry sweep finds it.
    public var accessEnds: String?
    /// For a subject, whether its course is closed (`Record.hasClosedCourse`): the storage keeps
    /// the time it first stored it closed, so a retention rule (``Retention``) knows how long it has been closed.
    public var closedCourse: Bool

    /// Creates a routing.
    public init(
        scope: Set<String>, subject: String? = nil, minimumVersion: Int = 1, accessEnds: String? = nil,
        closedCourse: Bool = false
    ) {
        self.scope = scope
        self.subject = subject
        self.minimumVersion = minimumVersion
        self.accessEnds = accessEnds
        self.closedCourse = closedCourse
    }
}

/// What the merge step of a push decided for one incoming record.
public struct MergeStep<Outcome: Sendable>: Sendable {
    /// The body to store, or `nil` when the stored version already contains the incoming one.
    public var newBody: Data?
    /// Who reads the new body; `nil` means the record's home team only (a record without a scope).
    public var routing: RecordRouting?
    /// What the caller wants back for this record (for the push result).
    public var outcome: Outcome

    /// Creates a merge step.
    public init(newBody: Data?, routing: RecordRouting? = nil, outcome: Outcome) {
        self.newBody = newBody
        self.routing = routing
        self.outcome = outcome
    }
}

/// Looks up a subject's scope inside a push transaction (`nil` when the server does not hold the subject).
public typealias SubjectScopeLookup = (String) throws -> Set<String>?

/// The result of a push transaction.
public struct PushApplied<Outcome: Sendable>: Sendable {
    /// One outcome per incoming record, in the order of the batch.
    public var outcomes: [Outcome]
    /// How many records were written (new or changed).
    public var written: Int
    /// The team's latest sequence number after the push.
    public var lastSeq: Int64
}

/// One page of a team's change sequence.
public struct PullSlice: Sendable {
    /// The records changed after the cursor, in sequence order.
    public var records: [StoredRecord]
    /// The sequence number to continue from: the last record's, or the cursor when the page is empty.
    public var nextSeq: Int64
    /// Whether more changes follow.
    public var hasMore: Bool
    /// The team's latest sequence number when the read began (a cursor beyond it was never issued).
    public var lastSeq: Int64
}

/// What the audit log records.
public enum AuditAction: String, Sendable, Codable, CaseIterable {
    /// A device enrolled with a code.
    case enrol
    /// A device pushed a batch.
    case push
    /// A device pulled a page.
    case pull
    /// An administrator revoked a device.
    case revoke
    /// A device read its team's directory of devices (names of advisers and devices, no records).
    case directory
    /// A team stopped reading records (a scope change, a consent withdrawn, a handover's access ending): its
    /// devices are told to drop them on their next pull.
    case remove
    /// The server changed records itself (an access end that came due).
    case expire
    /// An administrator let two teams share records with each other.
    case partner
    /// An administrator ended an adviser's membership of a team.
    case leave
    /// The server purged records itself under a team's retention rule; the detail names the rule.
    case purge
    /// An administrator saved or removed a team's retention rule; the detail names it.
    case retention
    /// The server stored stable records compacted (merge.md): text bases and tombstone content dropped.
    case compact
}

/// One entry of the audit log: who did what to which records, and when.
public struct AuditEvent: Sendable, Hashable, Codable {
    /// When it happened.
    public var at: Date
    /// What happened.
    public var action: AuditAction
    /// The device that acted, or the device acted upon.
    public var deviceID: String?
    /// The adviser the device belongs to.
    public var adviser: String?
    /// The team concerned.
    public var team: String?
    /// The records read or written, as `collection/id`.
    public var recordIDs: [String]
    /// `ok`, or the error code the request was refused with.
    public var outcome: String
    /// Context without content: the batch id and counts of a push, the positions of a pull, the caller's
    /// address of a failed enrolment.
    public var detail: String?

    /// Creates an audit event.
    public init(
        at: Date, action: AuditAction, deviceID: String?, adviser: String?, team: String?, recordIDs: [String] = [],
        outcome: String = "ok", detail: String? = nil
    ) {
        self.at = at
        self.action = action
        self.deviceID = deviceID
        self.adviser = adviser
        self.team = team
        self.recordIDs = recordIDs
        self.outcome = outcome
        self.detail = detail
    }
}

/// How both backends store a device's earlier replica ids: one text column, space-separated, oldest first.
enum EarlierReplicas {
    static func parse(_ text: String) -> [String] {
        text.split(separator: " ").map(String.init)
    }

    static func format(_ replicas: [String]) -> String {
        replicas.joined(separator: " ")
    }
}
