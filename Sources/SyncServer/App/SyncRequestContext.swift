import Hummingbird
import NIOCore

/// The per-request context of the sync API: the authenticated device and the caller's address.
public struct SyncRequestContext: RequestContext {
    /// Hummingbird's per-request storage (logger, request id).
    public var coreContext: CoreRequestContextStorage
    /// The device behind the bearer token, set by the authentication middleware.
    public var identity: DeviceIdentity?
    /// The caller's IP address (without port), used to rate-limit unauthenticated requests.
    public let remoteAddress: String

    /// A context for a new request: no device yet, and the caller's address from the channel.
    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.identity = nil
        self.remoteAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// Bodies are read explicitly with the server's own limit; see ``SyncService``.
    public var maxUploadSize: Int { 0 }
}
