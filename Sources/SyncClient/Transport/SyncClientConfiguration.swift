import Foundation

/// Where a device's sync server is and how to reach it.
public struct SyncClientConfiguration: Sendable {
    /// The server's base URL, such as `https://sync.example.org:8443` (no trailing path needed).
    public var baseURL: String
    /// The device's bearer token; `nil` before enrolment.
    public var token: String?
    /// PEM certificates to trust instead of the system's roots: a private CA, or a self-signed server
    /// certificate. When `nil`, the system trust store is used.
    public var trustedCertificatesPEM: String?
    /// How long one request may take, connection included.
    public var requestTimeout: Duration
    /// How long connecting may take. Short: a server that cannot be reached should fail in seconds, the way
    /// git does, while a slow answer over a connection that works may take up to `requestTimeout`.
    public var connectTimeout: Duration
    /// The largest response body accepted.
    public var maxResponseBytes: Int
    /// The `User-Agent` header.
    public var userAgent: String

    /// Creates a configuration.
    public init(
        baseURL: String,
        token: String? = nil,
        trustedCertificatesPEM: String? = nil,
        requestTimeout: Duration = .seconds(60),
        connectTimeout: Duration = .seconds(3),
        maxResponseBytes: Int = 256 << 20,
        userAgent: String = "fieldsync-client/1"
    ) {
        self.baseURL = baseURL
        self.token = token
        self.trustedCertificatesPEM = trustedCertificatesPEM
        self.requestTimeout = requestTimeout
        self.connectTimeout = connectTimeout
        self.maxResponseBytes = maxResponseBytes
        self.userAgent = userAgent
    }

    /// The base URL without trailing slashes.
    var trimmedBaseURL: String {
        var url = baseURL
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }
}
