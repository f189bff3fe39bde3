import Foundation
import Hummingbird
import Logging
import SyncProtocol

extension SyncService {
    /// `GET /v1/teams/{team}/pull?cursor=&limit=`: parses the query, then ``pull(_:identity:team:logger:)``.
    func pull(_ request: Request, context: SyncRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let team = try context.parameters.require("team")
        let pullRequest: PullRequest
        do {
            // The protocol's order of checks: team, then the query.
            try authorize(identity, team: team)
            let query = request.uri.queryParameters
            do {
                pullRequest = try PullRequest.validated(
                    cursor: query["cursor"].map(String.init), limit: query["limit"].map(String.init),
                    protocolVersion: query["protocolVersion"].map(String.init))
            } catch {
                throw APIError(error.errorBody)
            }
        } catch {
            await auditRefusal(
                error, action: .pull, identity: identity, team: team, recordIDs: [], logger: context.logger)
            throw error
        }
        return .json(try await pull(pullRequest, identity: identity, team: team, logger: context.logger))
    }

    /// Serves one page of `team`'s changes after the request's cursor to an authenticated device: the encoded
    /// ``PullPage`` (canonical JSON, as sent over HTTP); a refusal is audited and thrown.
    ///
    /// The HTTP route and the simulator both call this, so the simulator's oracle vouches for the shipped rules.
    package func pull(
        _ pullRequest: PullRequest, identity: DeviceIdentity, team: String, logger: Logger
    ) async throws -> Data {
        do {
            try authorize(identity, team: team)
            return try await page(pullRequest, identity: identity, team: team, logger: logger)
        } catch {
            await auditRefusal(error, action: .pull, identity: identity, team: team, recordIDs: [], logger: logger)
            throw error
        }
    }

    private func page(
        _ pullRequest: PullRequest, identity: DeviceIdentity, team: String, logger: Logger
    ) async throws -> Data {
        let cursor = try PullCursor(parsing: pullRequest.cursor, team: team)
        let limits = configuration.limits
        let limit = min(pullRequest.limit ?? limits.defaultPageRecords, limits.maxPageRecords)
        let audit = AuditEvent(
            at: Date(), action: .pull, deviceID: identity.deviceID, adviser: identity.adviser, team: team,
            detail: "after=\(cursor.seq) limit=\(limit)")
        let version = pullRequest.protocolVersion
        var slice = try await storage.pull(
            team: team, after: cursor.seq, limit: limit, version: version, audit: audit)
        guard cursor.seq <= slice.lastSeq else {
            // A cursor ahead of the sequence means the database went back in time (a restore): the device
            // must start over rather than silently miss the changes that will reuse those numbers.
            throw APIError(.invalidCursor, "the cursor is ahead of the team's change sequence; pull from the start")
        }
        Self.boundPage(&slice, maxBytes: limits.maxBodyBytes)
        metrics.pulls.increment()
        metrics.recordsPulled.increment(by: Int64(slice.records.count))
        logger.debug(
            "pull served",
            metadata: ["team": "\(team)", "records": "\(slice.records.count)", "more": "\(slice.hasMore)"])
        return Self.encodePage(
            slice, nextCursor: PullCursor(seq: slice.nextSeq).encoded(team: team), version: version)
    }

    /// Bounds a page in bytes as well as in records (README §5): records are kept, in order, while the page
    /// stays within `maxBytes` (the announced `maxBodyBytes`); the first record is always kept, so a page
    /// holds at least one record and the cursor always advances. A cut page says `more` and continues
    /// after its last record.
    static func boundPage(_ slice: inout PullSlice, maxBytes: Int) {
        var bytes = 160  // the envelope: more, nextCursor, protocolVersion, removed
        var kept = 0
        for record in slice.records {
            // A removal is listed as {"c":...,"id":...}.
            let size =
                record.removed ? record.key.collection.utf8.count + record.key.id.utf8.count + 16 : record.body.count
            if kept > 0, bytes + size + 1 > maxBytes { break }
            bytes += size + 1
            kept += 1
        }
        guard kept < slice.records.count else { return }
        slice.records.removeLast(slice.records.count - kept)
        slice.hasMore = true
        slice.nextSeq = slice.records[kept - 1].seq
    }

    /// Writes a ``PullPage`` around the stored record bodies without decoding them again.
    ///
    /// The stored bodies are already canonical JSON of ``Record`` (the server wrote them with
    /// ``WireCoding``), so splicing them keeps the page canonical: keys in code-point order
    /// (`more`, `nextCursor`, `protocolVersion`, `records`), no whitespace. This keeps a cold pull of
    /// many records cheap.
    static func encodePage(_ slice: PullSlice, nextCursor: String, version: Int) -> Data {
        var data = Data()
        data.reserveCapacity(slice.records.reduce(64) { $0 + $1.body.count + 1 })
        data.append(contentsOf: #"{"more":"#.utf8)
        data.append(contentsOf: (slice.hasMore ? "true" : "false").utf8)
        // The cursor alphabet (digits, '.', hex) needs no escaping.
        data.append(contentsOf: #","nextCursor":""#.utf8)
        data.append(contentsOf: nextCursor.utf8)
        data.append(contentsOf: #"","protocolVersion":"#.utf8)
        data.append(contentsOf: String(version).utf8)
        data.append(contentsOf: #","records":["#.utf8)
        var first = true
        for record in slice.records where !record.removed {
            if !first { data.append(UInt8(ascii: ",")) }
            first = false
            data.append(record.body)
        }
        data.append(UInt8(ascii: "]"))
        if version >= 2 {
            // Collections and record ids are plain identifiers: no escaping needed.
            data.append(contentsOf: #","removed":["#.utf8)
            first = true
            for record in slice.records where record.removed {
                if !first { data.append(UInt8(ascii: ",")) }
                first = false
                data.append(contentsOf: #"{"c":""#.utf8)
                data.append(contentsOf: record.key.collection.utf8)
                data.append(contentsOf: #"","id":""#.utf8)
                data.append(contentsOf: record.key.id.utf8)
                data.append(contentsOf: #""}"#.utf8)
            }
            data.append(UInt8(ascii: "]"))
        }
        data.append(UInt8(ascii: "}"))
        return data
    }
}
