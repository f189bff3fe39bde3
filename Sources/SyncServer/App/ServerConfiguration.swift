import SyncProtocol

/// How a sync server listens and what it allows.
public struct ServerConfiguration: Sendable {
    /// The address to listen on; port 0 picks a free port (the running server reports the real one).
    public var host: String
    /// The TCP port; 0 for any free port.
    public var port: Int
    /// The certificate chain and private key (PEM files) for HTTPS; `nil` serves plain HTTP.
    public var tls: TLSFiles?
    /// The limits announced to clients and enforced on requests.
    public var limits: ServerLimits
    /// The request budget of one device.
    public var deviceRateLimit: RateLimit
    /// The budget of unauthenticated requests (enrolment, bad tokens) from one network address.
    public var anonymousRateLimit: RateLimit
    /// The most time a request body may take to arrive, from the first read; a body still incomplete then
    /// is answered `408 request_timeout` and the connection closed, so a client that trickles a body
    /// cannot hold a connection and a request task for long (README §10).
    public var bodyReadTimeout: Duration
    /// How often the server ends the accesses that came due (``AccessExpiry``); it also runs at start-up.
    public var accessExpiryInterval: Duration
    /// How often the server applies the teams' saved retention rules (``Retention``, `RetentionService`): daily.
    public var retentionInterval: Duration
    /// How often the server compacts stable records (``Compaction``, merge.md): daily.
    public var compactionInterval: Duration

    /// The PEM files of a TLS certificate chain and its private key.
    public struct TLSFiles: Sendable, Hashable {
        /// The certificate chain, leaf first.
        public var certificatePath: String
        /// The private key of the leaf certificate.
        public var privateKeyPath: String

        /// Creates a pair of file paths.
        public init(certificatePath: String, privateKeyPath: String) {
            self.certificatePath = certificatePath
            self.privateKeyPath = privateKeyPath
        }
    }

    /// A token bucket: `burst` requests at once, refilled at `perSecond` requests per second.
    public struct RateLimit: Sendable, Hashable {
        /// The bucket's capacity.
        public var burst: Double
        /// Tokens added per second.
        public var perSecond: Double

        /// Creates a rate limit.
        public init(burst: Double, perSecond: Double) {
            self.burst = burst
            self.perSecond = perSecond
        }
    }

    /// Creates a configuration; the defaults listen on loopback port 8080 over plain HTTP.
    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        tls: TLSFiles? = nil,
        limits: ServerLimits = .standard,
        deviceRateLimit: RateLimit = RateLimit(burst: 120, perSecond: 30),
        anonymousRateLimit: RateLimit = RateLimit(burst: 20, perSecond: 1),
        bodyReadTimeout: Duration = .seconds(30),
        accessExpiryInterval: Duration = .seconds(600),
        retentionInterval: Duration = .seconds(86_400),
        compactionInterval: Duration = .seconds(86_400)
    ) {
        self.accessExpiryInterval = accessExpiryInterval
        self.retentionInterval = retentionInterval
        self.compactionInterval = compactionInterval
        self.host = host
        self.port = port
        self.tls = tls
        self.limits = limits
        self.deviceRateLimit = deviceRateLimit
        self.anonymousRateLimit = anonymousRateLimit
        self.bodyReadTimeout = bodyReadTimeout
    }
}
