import Foundation
import Logging
import SyncProtocol

extension SyncService {
    /// Records a refused push or pull in the audit log: who, which team, what, and the error code; `detail`
    /// is context without content (the batch id of a push that could be decoded).
    func auditRefusal(
        _ error: any Error, action: AuditAction, identity: DeviceIdentity, team: String, recordIDs: [String],
        detail: String? = nil, logger: Logger
    ) async {
        let event = AuditEvent(
            at: Date(), action: action, deviceID: identity.deviceID, adviser: identity.adviser, team: team,
            recordIDs: recordIDs, outcome: Self.outcomeCode(of: error), detail: detail)
        do {
            try await storage.appendAudit(event)
        } catch {
            logger.error("could not audit a refused request", metadata: ["error": "\(error)"])
        }
    }

    /// The protocol error code an error is answered with, for the audit log.
    static func outcomeCode(of error: any Error) -> String {
        switch error {
        case let error as APIError: error.body.code.rawValue
        case let error as WireDecodingError: error.code.rawValue
        case let error as StorageError:
            switch error {
            case .teamNotFound: ErrorCode.forbiddenTeam.rawValue
            case .invalidEnrolmentCode: ErrorCode.invalidEnrollmentCode.rawValue
            case .replicaInUse: ErrorCode.replicaInUse.rawValue
            case .invalidPreviousToken: ErrorCode.invalidPreviousToken.rawValue
            default: ErrorCode.internalError.rawValue
            }
        default: ErrorCode.internalError.rawValue
        }
    }
}
