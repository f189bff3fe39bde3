import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import ServiceLifecycle

/// Assembles a runnable sync server: router, storage service, TLS, start-up migration.
///
/// ```swift
/// let storage = try StorageLocation(parsing: "sqlite:/tmp/fs.sqlite").open(logger: logger)
/// let app = try SyncServerApplication.make(storage: storage, configuration: .init(port: 0), logger: logger) {
///     address in print("listening on \(address)")
/// }
/// try await app.runService()   // until SIGTERM or SIGINT
/// ```
public enum SyncServerApplication {
    /// Builds the application. `onListening` receives the bound address (`host:port`, the real port when
    /// the configuration asked for port 0) once the server accepts connections.
    public static func make(
        storage: any SyncStorage,
        configuration: ServerConfiguration,
        metrics: ServerMetrics = ServerMetrics(),
        logger: Logger,
        onListening: @escaping @Sendable (String) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let service = SyncService(storage: storage, configuration: configuration, metrics: metrics, logger: logger)
        let router = SyncRoutes.makeRouter(service: service)
        let tlsConfiguration = try configuration.tls.map(makeTLSConfiguration)
        let http1Configuration = HTTP1Channel.Configuration(
            additionalChannelHandlers: [HTTPParseErrorHandler()], idleTimeout: .seconds(60))
        var app = Application(
            router: router,
            // Idle connections are closed after a minute, so a client that opens connections and sends
            // nothing (or trickles a body) cannot hold them forever.
            // Requests the HTTP/1 decoder refuses are answered with an ErrorBody (HTTPParseErrorHandler).
            server: try tlsConfiguration.map {
                try .tls(.http1(configuration: http1Configuration), tlsConfiguration: $0)
            } ?? .http1(configuration: http1Configuration),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            // The storage runs as a service of the application's group: it is started before the HTTP
            // server and, on shutdown, stopped after the server has finished its in-flight requests.
            // Accesses that come due (a handover's overlap) end while the server runs.
            services: [
                StorageService(storage: storage),
                PeriodicService(name: "access expiry", interval: configuration.accessExpiryInterval, logger: logger) {
                    let outcome = try await AccessExpiry(storage: storage).run()
                    if outcome.ended > 0 {
                        logger.notice(
                            "access ended",
                            metadata: ["subjects": "\(outcome.subjects)", "entries": "\(outcome.ended)"])
                    }
                },
                // Courses closed longer than a team's saved retention rule are purged, daily.
                RetentionService(
                    retention: Retention(storage: storage), interval: configuration.retentionInterval, logger: logger),
                // Stable records lose their text bases and old deletions their content, daily (merge.md).
                PeriodicService(name: "compaction", interval: configuration.compactionInterval, logger: logger) {
                    let outcome = try await Compaction(storage: storage).run()
                    if outcome.compacted > 0 {
                        logger.notice(
                            "compacted stable records",
                            metadata: [
                                "records": "\(outcome.compacted)", "bytesBefore": "\(outcome.bytesBefore)",
                                "bytesAfter": "\(outcome.bytesAfter)",
                            ])
                    }
                },
            ],
            onServerRunning: { channel in
                let address = channel.localAddress
                let host = address?.ipAddress ?? configuration.host
                let port = address?.port ?? configuration.port
                let shown = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
                logger.info("listening", metadata: ["address": "\(shown)", "tls": "\(configuration.tls != nil)"])
                await onListening(shown)
            },
            logger: logger
        )
        app.beforeServerStarts { try await service.prepare() }
        return app
    }

    static func makeTLSConfiguration(_ files: ServerConfiguration.TLSFiles) throws -> TLSConfiguration {
        let chain = try NIOSSLCertificate.fromPEMFile(files.certificatePath)
        let key = try NIOSSLPrivateKey(file: files.privateKeyPath, format: .pem)
        return TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
    }
}

/// Runs a storage backend's background work as a `Service`.
struct StorageService: Service {
    let storage: any SyncStorage

    func run() async throws {
        try await storage.run()
    }
}
