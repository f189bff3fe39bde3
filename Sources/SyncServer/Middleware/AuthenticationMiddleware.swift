import Foundation
import Hummingbird
import Logging
import SyncProtocol

/// Authenticates the bearer token of a device and applies the device's rate limit.
///
/// An unknown or missing token costs the caller's address a token of the anonymous budget, so guessing
/// tokens is slow; a revoked device gets `401 device_revoked`.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = SyncRequestContext

    let service: SyncService

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let token = Self.bearerToken(request), token.utf8.count <= WireLimits.maxSecretBytes else {
            try service.spend(service.anonymousLimiter, key: context.remoteAddress)
            throw APIError.unauthorized("send the device token as 'Authorization: Bearer <token>'")
        }
        guard let identity = try await service.storage.device(tokenDigest: Secrets.tokenDigest(token)) else {
            try service.spend(service.anonymousLimiter, key: context.remoteAddress)
            throw APIError.unauthorized("the device token is not known")
        }
        if identity.revoked {
            throw APIError(.deviceRevoked, "this device has been revoked; enrol it again")
        }
        try service.spend(service.deviceLimiter, key: identity.deviceID)
        var context = context
        context.identity = identity
        context.logger[metadataKey: "device"] = "\(identity.deviceID)"
        return try await next(request, context)
    }

    static func bearerToken(_ request: Request) -> String? {
        guard let header = request.headers[.authorization] else { return nil }
        let prefix = "bearer "
        guard header.count > prefix.count, header.prefix(prefix.count).lowercased() == prefix else { return nil }
        let token = header.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }
}

extension SyncRequestContext {
    /// The authenticated device; routes behind ``AuthenticationMiddleware`` always have one.
    func requireIdentity() throws(APIError) -> DeviceIdentity {
        guard let identity else { throw APIError.unauthorized("authentication required") }
        return identity
    }
}
