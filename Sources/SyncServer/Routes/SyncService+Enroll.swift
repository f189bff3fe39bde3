import Foundation
import Hummingbird
import SyncProtocol

extension SyncService {
    /// `POST /v1/enroll`: trades a one-time code for a device id, a replica id and a bearer token.
    func enroll(_ request: Request, context: SyncRequestContext) async throws -> Response {
        try spend(anonymousLimiter, key: context.remoteAddress)
        let message = try decode(EnrollRequest.self, from: try await readBody(request))
        guard let version = ProtocolVersion.negotiate(client: message.protocolVersions) else {
            throw APIError.unsupportedVersion(offered: message.protocolVersions)
        }
        let info = try serverInfo()
        let token = Secrets.makeDeviceToken()
        let device = NewDevice(
            id: "dev-" + UUID().uuidString.lowercased(), replica: (message.replica ?? ReplicaID.random()).rawValue,
            label: message.deviceName, tokenDigest: Secrets.tokenDigest(token),
            previousTokenDigest: message.previousToken.map(Secrets.tokenDigest))
        let identity: DeviceIdentity
        do {
            identity = try await storage.redeemEnrolmentCode(
                digest: Secrets.enrolmentCodeDigest(message.code), device: device, at: Date())
        } catch {
            // Failed attempts are audited (never the code itself), so guessing shows in the trail.
            let event = AuditEvent(
                at: Date(), action: .enrol, deviceID: nil, adviser: nil, team: nil,
                outcome: Self.outcomeCode(of: error), detail: "from=\(context.remoteAddress)")
            try? await storage.appendAudit(event)
            throw error
        }
        metrics.enrolments.increment()
        context.logger.info(
            "device enrolled", metadata: ["device": "\(identity.deviceID)", "adviser": "\(identity.adviser)"])
        let response = EnrollResponse(
            protocolVersion: version, deviceID: identity.deviceID, replica: try ReplicaID(identity.replica),
            token: token, teams: identity.teams.sorted(), server: info)
        return try .json(encoding: response)
    }

    /// `POST /v1/hello`: decodes the request, then ``hello(_:identity:)``.
    func hello(_ request: Request, context: SyncRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let message = try decode(HelloRequest.self, from: try await readBody(request))
        return try .json(encoding: try hello(message, identity: identity))
    }

    /// Negotiates the protocol version with an authenticated device and tells it its teams and the limits.
    package func hello(_ message: HelloRequest, identity: DeviceIdentity) throws(APIError) -> HelloResponse {
        guard let version = ProtocolVersion.negotiate(client: message.protocolVersions) else {
            throw APIError.unsupportedVersion(offered: message.protocolVersions)
        }
        return HelloResponse(
            protocolVersion: version, deviceID: identity.deviceID, teams: identity.teams.sorted(),
            server: try serverInfo())
    }
}

extension APIError {
    static func unsupportedVersion(offered: [Int]) -> APIError {
        APIError(
            .unsupportedVersion,
            "no common protocol version (offered \(offered), supported \(ProtocolVersion.supported))")
    }
}
