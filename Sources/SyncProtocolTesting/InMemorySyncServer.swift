import SyncProtocol

/// A team sync server held in memory, following the protocol's server rules exactly: per-record merge,
/// a change sequence per team, cursors that are positions in it, the error codes of the specification.
///
/// It is the reference model the HTTP server is tested against and the server of the simulation
/// harness. Devices must be registered (the HTTP server does that at enrolment).
///
/// ```swift
/// let server = InMemorySyncServer()
/// await server.createTeam("north")
/// await server.registerDevice("laptop-anna", replica: laptop, teams: ["north"])
/// let transport = InMemoryTransport(server: server, device: "laptop-anna")
/// ```
public actor InMemorySyncServer {
    /// The server's replica id.
    public nonisolated let replica: ReplicaID
    /// The limits announced and enforced.
    public private(set) var limits: ServerLimits
    /// Schemas records are validated against, by collection; `nil` accepts any well-formed record.
    public nonisolated let schemas: [String: Schema]?
    private var teams: [String: TeamLog] = [:]
    private var devices: [String: Device] = [:]
    private var owner: [RecordKey: String] = [:]
    /// Requests handled, by kind (`hello`, `push`, `pull`), including refused ones.
    public private(set) var requestCounts: [String: Int] = [:]

    struct Device {
        var replica: ReplicaID
        var teams: Set<String>
        var canPurge: Bool
        var revoked = false
        /// Per team: the position the device had pulled to when it began its last complete push.
        var seenBeforeCompletePush: [String: UInt64] = [:]
    }

    struct TeamLog {
        var records: [RecordKey: (record: Record, sequence: UInt64)] = [:]
        /// Positions and the record changed there, ascending; an entry is stale when the record changed
        /// again later (only the record's latest position is live).
        var changes: [(sequence: UInt64, key: RecordKey)] = []
        var sequence: UInt64 = 0
        var stale = 0
    }

    /// The replica id a server gets unless told otherwise.
    public static let defaultReplica = try! ReplicaID("server")

    /// Creates a server with no teams and no devices.
    public init(
        replica: ReplicaID = InMemorySyncServer.defaultReplica, limits: ServerLimits = .standard,
        schemas: [String: Schema]? = Schemas.all
    ) {
        self.replica = replica
        self.limits = limits
        self.schemas = schemas
    }

    // MARK: Administration

    /// Creates a team (nothing happens if it exists).
    public func createTeam(_ team: String) {
        if teams[team] == nil { teams[team] = TeamLog() }
    }

    /// Registers a device with its replica id and teams; `canPurge` grants the right to push purges.
    public func registerDevice(_ device: String, replica: ReplicaID, teams: [String], canPurge: Bool = false) {
        for team in teams { createTeam(team) }
        devices[device] = Device(replica: replica, teams: Set(teams), canPurge: canPurge)
    }

    /// Revokes a device: its next request gets `401 device_revoked`.
    public func revokeDevice(_ device: String) {
        devices[device]?.revoked = true
    }

    /// Changes the limits (for tests of `413` handling).
    public func setLimits(_ limits: ServerLimits) {
        self.limits = limits
    }

    /// The server's information, as sent in hello and enrolment answers.
    public var info: ServerInfo {
        ServerInfo(replica: replica, protocolVersions: ProtocolVersion.supported, limits: limits)
    }

    // MARK: Inspection

    /// Every record of a team, in key order.
    public func records(in team: String) -> [Record] {
        guard let log = teams[team] else { return [] }
        return log.records.keys.sorted().map { log.records[$0]!.record }
    }

    /// One record of a team.
    public func record(_ key: RecordKey, in team: String) -> Record? {
        teams[team]?.records[key]?.record
    }

    /// The position below which every change of `team` is stable: every device of the team that is not
    /// revoked had pulled past it before a complete push (see merge.md, "Metadata bounds"). Versions stored
    /// at or below it have stable clocks and may be compacted.
    public func stablePosition(of team: String) -> UInt64 {
        devices.values.filter { !$0.revoked && $0.teams.contains(team) }
            .map { $0.seenBeforeCompletePush[team] ?? 0 }
            .min() ?? 0
    }

    /// The team's change sequence position (0 before the first change).
    public func sequence(of team: String) -> UInt64 {
        teams[team]?.sequence ?? 0
    }

    // MARK: Protocol

    /// Answers `POST /v1/hello`.
    public func hello(_ request: HelloRequest, device: String) throws(ErrorBody) -> HelloResponse {
        count("hello")
        let entry = try authenticate(device)
        guard let version = ProtocolVersion.negotiate(client: request.protocolVersions) else {
            throw ErrorBody(
                code: .unsupportedVersion,
                message: "no common protocol version; this server speaks \(ProtocolVersion.supported)"
            )
        }
        return HelloResponse(protocolVersion: version, deviceID: device, teams: entry.teams.sorted(), server: info)
    }

    /// Answers `POST /v1/teams/{team}/push`: merges every record in one step (all or nothing).
    ///
    /// `merge` combines the stored state (first) with the pushed one; it is the protocol's merge unless a
    /// test swaps in another (the simulation's broken merges). The checks before it, the push rule of
    /// README §11.3 among them, always apply to the record as pushed.
    public func push(
        _ batch: PushBatch, team: String, device: String,
        merge: @Sendable (_ stored: Record, _ pushed: Record) -> Record = { $0.merged(with: $1) }
    ) throws(ErrorBody) -> PushResult {
        count("push")
        let entry = try authorize(device, team: team)
        guard batch.records.count <= limits.maxBatchRecords else {
            throw ErrorBody(
                code: .batchTooLarge,
                message: "\(batch.records.count) records in one batch; the limit is \(limits.maxBatchRecords)"
            )
        }
        guard batch.replica == entry.replica else {
            throw ErrorBody(
                code: .invalidValue, message: "the batch's replica is not this device's replica",
                details: ErrorDetails(path: "replica")
            )
        }
        var log = teams[team]!
        // Validate and merge everything first, so a refused record leaves nothing written.
        var merged: [(key: RecordKey, record: Record, changed: Bool)] = []
        var outcomes: [PushOutcome] = []
        for (index, record) in batch.records.enumerated() {
            let key = record.key
            let details = ErrorDetails(collection: key.collection, id: key.id, index: index)
            if let other = owner[key], other != team {
                throw ErrorBody(
                    code: .forbiddenRecord, message: "record \(key) belongs to another team",
                    details: details)
            }
            if let schemas {
                guard let schema = schemas[key.collection] else {
                    throw ErrorBody(
                        code: .invalidValue, message: "unknown collection '\(key.collection)'",
                        details: details)
                }
                do {
                    try schema.validate(record)
                } catch {
                    throw ErrorBody(code: .invalidValue, message: error.description, details: details)
                }
            }
            let stored = log.records[key]?.record
            if record.isPurged, stored?.isPurged != true, !entry.canPurge {
                throw ErrorBody(
                    code: .forbiddenRecord, message: "this device may not purge \(key)",
                    details: details)
            }
            do {
                try record.checkPushClaims(by: batch.replica, stored: stored)
            } catch {
                throw error.errorBody(index: index)
            }
            let result = stored.map { merge($0, record) } ?? record
            merged.append((key, result, result != stored))
            outcomes.append(result == record ? .accepted(key) : .merged(result))
        }
        for change in merged where change.changed {
            if log.records[change.key] != nil { log.stale += 1 }
            log.sequence += 1
            log.records[change.key] = (change.record, log.sequence)
            log.changes.append((log.sequence, change.key))
            owner[change.key] = team
        }
        if log.stale > 1_024 && log.stale * 2 > log.changes.count { log.compact() }
        teams[team] = log
        if batch.final {
            devices[device]?.seenBeforeCompletePush[team] = batch.cursor.flatMap { UInt64($0) } ?? 0
        }
        return PushResult(batchID: batch.batchID, sequence: log.sequence, results: outcomes)
    }

    /// Answers `GET /v1/teams/{team}/pull`.
    public func pull(_ request: PullRequest, team: String, device: String) throws(ErrorBody) -> PullPage {
        count("pull")
        _ = try authorize(device, team: team)
        let log = teams[team]!
        var after: UInt64 = 0
        if let cursor = request.cursor {
            guard let position = UInt64(cursor), position <= log.sequence else {
                throw ErrorBody(code: .invalidCursor, message: "cursor was not issued by this server for this team")
            }
            after = position
        }
        let limit = min(request.limit ?? limits.defaultPageRecords, limits.maxPageRecords)
        var index = log.firstChange(after: after)
        var records: [Record] = []
        var last = after
        while index < log.changes.count && records.count < limit {
            let change = log.changes[index]
            index += 1
            guard let live = log.records[change.key], live.sequence == change.sequence else { continue }
            records.append(live.record)
            last = change.sequence
        }
        // More only if a live change remains; stale entries alone do not make another page.
        while index < log.changes.count {
            let change = log.changes[index]
            if log.records[change.key]?.sequence == change.sequence { break }
            index += 1
        }
        let more = index < log.changes.count
        return PullPage(records: records, nextCursor: String(more ? last : log.sequence), more: more)
    }

    // MARK: Access control

    private func authenticate(_ device: String) throws(ErrorBody) -> Device {
        guard let entry = devices[device] else {
            throw ErrorBody(code: .unauthorized, message: "unknown device token")
        }
        guard !entry.revoked else { throw ErrorBody(code: .deviceRevoked, message: "this device has been revoked") }
        return entry
    }

    private func authorize(_ device: String, team: String) throws(ErrorBody) -> Device {
        let entry = try authenticate(device)
        guard entry.teams.contains(team), teams[team] != nil else {
            throw ErrorBody(code: .forbiddenTeam, message: "team '\(team)' is not one of this device's teams")
        }
        return entry
    }

    private func count(_ kind: String) {
        requestCounts[kind, default: 0] += 1
    }
}

extension InMemorySyncServer.TeamLog {
    /// The index of the first change after `position` (binary search: positions ascend).
    func firstChange(after position: UInt64) -> Int {
        var low = 0
        var high = changes.count
        while low < high {
            let middle = (low + high) / 2
            if changes[middle].sequence <= position { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Drops stale entries; positions keep their values, so issued cursors stay valid.
    mutating func compact() {
        changes.removeAll { records[$0.key]?.sequence != $0.sequence }
        stale = 0
    }
}
