import Hummingbird
import NIOCore

/// The per-request context of the sync API: the authenticated device and the caller's address.
public struct SyncRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The device behind the bearer token, set by the authentication middleware.
    public var identity: DeviceIdentity?
    /// The caller's IP address (without port), used to rate-limit unauthenticated requests.
    public let remoteAddress: String

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.identity = nil
        self.remoteAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// Bodies are read explicitly with the server's own limit; see ``SyncService``.
    public var maxUploadSize: Int { 0 }
}
