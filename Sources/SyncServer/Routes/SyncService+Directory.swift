import Foundation
import Hummingbird
import SyncProtocol

extension SyncService {
    /// `GET /v1/teams/{team}/devices`: the team's directory, so devices can name the writers of conflict
    /// candidates. Names only; audited like a pull, because it tells who works with the team.
    func teamDirectory(_ request: Request, context: SyncRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let team = try context.parameters.require("team")
        do {
            try authorize(identity, team: team)
            // The directory is the same in every version; the answer says the one asked for.
            let version: Int
            do {
                version = try ProtocolVersion.parseQuery(
                    request.uri.queryParameters["protocolVersion"].map(String.init))
            } catch {
                throw APIError(error.errorBody)
            }
            let audit = AuditEvent(
                at: Date(), action: .directory, deviceID: identity.deviceID, adviser: identity.adviser, team: team)
            let entries = try await storage.teamDirectory(team: team, audit: audit)
            let devices = try entries.map { entry in
                TeamDevice(
                    adviser: entry.adviser, device: entry.label, replica: try ReplicaID(entry.replica),
                    revoked: entry.revoked)
            }
            context.logger.debug("directory served", metadata: ["team": "\(team)", "devices": "\(devices.count)"])
            return try .json(encoding: TeamDirectory(protocolVersion: version, devices: devices))
        } catch {
            await auditRefusal(
                error, action: .directory, identity: identity, team: team, recordIDs: [], logger: context.logger)
            throw error
        }
    }
}
