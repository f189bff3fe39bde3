import Foundation
import SyncProtocol

/// Where the server keeps teams, advisers, devices, enrolment codes, records and the audit log.
///
/// Two backends implement it: ``SQLiteStorage`` (embedded, the default) and ``PostgresStorage`` (shared by
/// several server processes). Both pass the same conformance tests. A backend that needs a background
/// task (a connection pool) does its work in ``run()``, which the server runs as a `Service`; call
/// ``migrate()`` before anything else.
public protocol SyncStorage: Sendable {
    /// Runs the backend's background work until the task is cancelled or a graceful shutdown begins.
    func run() async throws

    /// Creates or updates the schema with the backend's named migrations.
    func migrate() async throws

    /// The server's replica id, stored with the data so that every process serving it uses the same one.
    func serverReplica() async throws -> String

    /// Creates a team; throws ``StorageError/teamExists(_:)`` if the name is taken.
    func createTeam(named name: String, at date: Date) async throws -> Team

    /// Lists the teams.
    func teams() async throws -> [Team]

    /// Makes `adviser` a member of `team`, creating the adviser on first use. Adding twice is harmless;
    /// `canPurge` (when given) sets whether the adviser's devices may push purges.
    func addAdviser(named adviser: String, toTeam team: String, canPurge: Bool?, at date: Date) async throws

    /// Ends `adviser`'s membership of `team`: the adviser's devices can no longer reach the team, and on their
    /// next `hello` (version 2) drop its records. Removing a non-member is harmless.
    func removeAdviser(named adviser: String, fromTeam team: String, at date: Date) async throws

    /// Stores a one-time enrolment code (by digest) for `adviser`, valid until `expiresAt`.
    func storeEnrolmentCode(digest: String, adviser: String, expiresAt: Date, at date: Date) async throws

    /// Uses up an enrolment code and creates the device, atomically: a code enrols at most one device.
    ///
    /// - Throws: ``StorageError/invalidEnrolmentCode`` when the code is unknown, used or expired;
    ///   ``StorageError/replicaInUse(_:)`` when another device or the server holds the device's replica id
    ///   (the code stays unused then); ``StorageError/invalidPreviousToken`` when ``NewDevice/previousTokenDigest``
    ///   names no device of the code's adviser (the code stays unused). A re-enrolment (a previous token) revokes
    ///   the previous device and gives the new one its replica id and earlier replica ids as earlier replicas.
    func redeemEnrolmentCode(digest: String, device: NewDevice, at date: Date) async throws -> DeviceIdentity

    /// The device a token digest belongs to (revoked or not), with its adviser's teams; `nil` if unknown.
    func device(tokenDigest: String) async throws -> DeviceIdentity?

    /// Lists every device with its adviser, state and last activity.
    func devices() async throws -> [DeviceInfo]

    /// Marks a device revoked; its token stops working at once.
    func revokeDevice(id: String, at date: Date) async throws

    /// Applies a push batch to `team` in one transaction.
    ///
    /// For each key, in order, the backend loads the stored state (body, home team, current readers) and calls
    /// `merge` with the record's index, that state and a lookup of subject scopes (which sees the subjects the
    /// batch wrote before). When the step returns a new body, the backend stores it with its routing and routes
    /// it with `FeedPlanner`: a new position in the feed of every team reading it, a removal in the feed of
    /// every team that stopped reading it, and, for a subject whose readers changed, the same for its notes.
    /// The audit event is written in the same transaction, with the keys of the batch, and one `remove` event
    /// per team that stopped reading records. Concurrent writes are serialized, so positions become visible in
    /// increasing order in every feed and a pull never skips a change.
    ///
    /// `subjects` names the subjects the merge may look up (the pushed notes' subjects), so a backend can read
    /// them ahead. `checkpoint`, given for a final batch, is the position the device had pulled to when its push
    /// began; it is stored for the device and team in the same transaction (see ``stablePosition(team:)``).
    ///
    /// - Throws: ``StorageError/teamNotFound(_:)``, or whatever `merge` throws (nothing is written then).
    func applyPush<Outcome: Sendable>(
        team: String,
        keys: [RecordKey],
        subjects: Set<String>,
        checkpoint: Int64?,
        audit: AuditEvent,
        merge: @Sendable (Int, StoredState?, SubjectScopeLookup) throws -> MergeStep<Outcome>
    ) async throws -> PushApplied<Outcome>

    /// Applies the server's own writes to stored records (an access end that came due) in one transaction,
    /// routed like a push; keys the server does not hold are passed to `merge` with no state and never stored.
    func applyServerWrite<Outcome: Sendable>(
        keys: [RecordKey], audit: AuditEvent,
        merge: @Sendable (Int, StoredState?, SubjectScopeLookup) throws -> MergeStep<Outcome>
    ) async throws -> PushApplied<Outcome>

    /// Reads up to `limit` entries of `team`'s feed after position `after`, and audits the read. A version-1
    /// read leaves out removals and records version 1 cannot represent. ``PullSlice/lastSeq`` is the team's
    /// position read before the entries.
    func pull(team: String, after: Int64, limit: Int, version: Int, audit: AuditEvent) async throws -> PullSlice

    /// Lets `team` and `partner` widen scopes to each other (both ways); adding twice is harmless.
    func addPartner(team: String, with partner: String, at date: Date) async throws

    /// The teams `team` may share records with.
    func partners(of team: String) async throws -> Set<String>

    /// Subjects with an `accessEnds` entry on or before `day` (`YYYY-MM-DD`).
    func subjectsWithAccessEnding(onOrBefore day: String) async throws -> [RecordKey]

    /// Every stored record of a collection with its scope (for administration: the access report, duplicates).
    func records(inCollection collection: String) async throws -> [(key: RecordKey, body: Data, scope: Set<String>)]

    /// The notes that name `id` as their subject.
    func notes(aboutSubject id: String) async throws -> [RecordKey]

    /// Audit events that name one of `recordIDs` (`collection/id`), oldest first.
    func auditEvents(touching recordIDs: Set<String>) async throws -> [AuditEvent]

    /// Every device ever enrolled for an adviser who is a member of `team`, revoked ones included, sorted by
    /// replica id (byte order), and audits the read. An unknown team has no members, so its list is empty.
    func teamDirectory(team: String, audit: AuditEvent) async throws -> [DirectoryEntry]

    /// The team's latest sequence number (0 for a team without records); throws if the team is unknown.
    func lastSeq(team: String) async throws -> Int64

    /// The position below which every change of `team` is stable: each active device of the team's advisers
    /// had pulled past it before a complete push. Versions at or below it may be compacted (merge.md).
    func stablePosition(team: String) async throws -> Int64

    /// The position of every record `team` reads (its feed's live entries), for compaction (``Compaction``).
    func feedPositions(team: String) async throws -> [RecordKey: Int64]

    /// What a driver error of this backend means to the API, or `nil` for an error that is not the backend's (or
    /// a fault, answered `500`): the database unreachable or busy is ``StorageError/backend(operation:underlying:)``
    /// (`503` with `Retry-After`). Lets the HTTP layer answer without knowing any driver.
    func storageError(for error: any Error) -> StorageError?

    /// Appends an audit event on its own (refused requests; successful ones are audited with their work).
    func appendAudit(_ event: AuditEvent) async throws

    /// The latest audit events, newest first.
    func auditEvents(limit: Int) async throws -> [AuditEvent]

    /// The subjects stored with a closed course (``RecordRouting/closedCourse``), with their readers and the time
    /// the server first stored them closed, by id (for ``Retention``).
    func closedSubjects() async throws -> [ClosedSubject]

    /// The teams' saved retention rules, by team.
    func retentionRules() async throws -> [RetentionRule]

    /// Saves `team`'s retention rule (replacing one saved before), or removes it when `closedAfter` is `nil`, and
    /// audits the change; throws ``StorageError/teamNotFound(_:)`` for an unknown team.
    func setRetentionRule(team: String, closedAfter: RetentionPeriod?, at date: Date) async throws
}
