// swift-tools-version:6.1
import PackageDescription

/// The benchmarks (Benchmarks/<name>, run in release mode; see README and docs/benchmarks.md) are declared only
/// when FIELDSYNC_BENCHMARKS is set to something other than "" or "0", so the test build and CI do not compile
/// them: `FIELDSYNC_BENCHMARKS=1 swift build -c release --product bench-store`. The scripts/bench-*.sh set it.
let benchmarksEnabled = !["", "0"].contains(Context.environment["FIELDSYNC_BENCHMARKS"] ?? "")

let package = Package(
    name: "fieldsync",
    // macOS 15: Synchronization's Mutex. (Linux is the platform this is built and tested on.)
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "SyncProtocol", targets: ["SyncProtocol"]),
        .library(name: "SyncProtocolTesting", targets: ["SyncProtocolTesting"]),
        .library(name: "LocalStore", targets: ["LocalStore"]),
        .library(name: "SyncServer", targets: ["SyncServer"]),
        .library(name: "SyncClient", targets: ["SyncClient"]),
        .library(name: "SyncSimulator", targets: ["SyncSimulator"]),
        .executable(name: "fieldcli", targets: ["fieldcli"]),
        .executable(name: "sync-server", targets: ["sync-server"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.25.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.24.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.30.0"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // System libraries, found through pkg-config.
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        // The page-encrypting SQLite VFS (AES-256-GCM per page) and its key file.
        .target(
            name: "CFieldVFS",
            dependencies: ["CSQLite", "COpenSSL"]
            // Its warning flags are pragmas in fv_internal.h: no unsafe flags, so LocalStore can be a dependency.
        ),
        // The release version both executables print with --version.
        .target(name: "FieldsyncVersion"),
        // Pure sync logic: clocks, records, merge, wire messages, engine. No I/O.
        .target(name: "SyncProtocol"),
        // Test doubles of the protocol kit, as a product of their own (as HummingbirdTesting): an in-memory replica
        // store, server and transport, a fault-injecting transport, canonical JSON for comparing states.
        .target(name: "SyncProtocolTesting", dependencies: ["SyncProtocol"]),
        // The encrypted on-device store.
        .target(
            name: "LocalStore",
            dependencies: [
                "CFieldVFS",
                "CSQLite",
                "SyncProtocol",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "fieldcli",
            dependencies: [
                "CFieldVFS",
                "LocalStore",
                "SyncProtocol",
                "SyncClient",
                "SyncSimulator",
                "FieldsyncVersion",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Crash-recovery helper for the VFS tests (CrashRecoveryTests runs it): writes in a loop until killed.
        .executableTarget(name: "vfs-torture", dependencies: ["CFieldVFS", "CSQLite"], path: "Tests/vfs-torture"),
        // The HTTP sync service (library) and its thin executable.
        .target(
            name: "SyncServer",
            dependencies: [
                "SyncProtocol",
                "CFieldVFS",
                "CSQLite",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "sync-server",
            dependencies: [
                "SyncServer",
                "FieldsyncVersion",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The HTTP transport of the sync engine (AsyncHTTPClient).
        .target(
            name: "SyncClient",
            dependencies: [
                "SyncProtocol",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Deterministic simulation of many offline devices, with faults and a convergence oracle.
        .target(
            name: "SyncSimulator",
            dependencies: [
                "SyncProtocol",
                "SyncProtocolTesting",
                "LocalStore",
                "SyncClient",
                "SyncServer",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // What every test target and the benchmarks share: the process runner (a deadline that kills and reports a
        // hung child), the built-products locator, temporary directories, the seeded generator, the sync-server
        // launcher. A regular target under Tests/, not a product.
        .target(name: "FieldsyncTestSupport", dependencies: ["SyncProtocol"], path: "Tests/FieldsyncTestSupport"),
        .testTarget(
            name: "SyncSimulatorTests",
            dependencies: ["SyncSimulator", "SyncProtocol", "SyncProtocolTesting", "LocalStore"]
        ),
        .testTarget(
            name: "SyncServerTests",
            dependencies: [
                "SyncServer",
                "SyncClient",
                "SyncProtocolTesting",
                // The SyncClient article's sample syncs a LocalStore (GettingStartedTests).
                "LocalStore",
                "FieldsyncTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "SyncProtocolTests", dependencies: ["SyncProtocol", "SyncProtocolTesting", "FieldsyncTestSupport"]),
        .testTarget(name: "CFieldVFSTests", dependencies: ["CFieldVFS", "CSQLite", "FieldsyncTestSupport"]),
        .testTarget(
            name: "LocalStoreTests",
            dependencies: [
                "LocalStore", "SyncProtocol", "SyncProtocolTesting", "CFieldVFS", "CSQLite", "FieldsyncTestSupport",
            ]),
        .testTarget(name: "EndToEndTests", dependencies: ["FieldsyncTestSupport"]),
    ]
)

if benchmarksEnabled {
    package.targets += [
        .executableTarget(
            name: "bench-protocol", dependencies: ["SyncProtocol", "SyncProtocolTesting"],
            path: "Benchmarks/bench-protocol"),
        .executableTarget(
            name: "bench-store",
            dependencies: ["LocalStore", "SyncProtocol", "CFieldVFS", "CSQLite", "FieldsyncTestSupport"],
            path: "Benchmarks/bench-store"),
        .executableTarget(
            name: "bench-sync",
            dependencies: ["LocalStore", "SyncProtocol", "SyncClient", "CSQLite", "FieldsyncTestSupport"],
            path: "Benchmarks/bench-sync"),
        .executableTarget(
            name: "bench-scopes", dependencies: ["LocalStore", "SyncProtocol", "SyncServer"],
            path: "Benchmarks/bench-scopes"),
        .executableTarget(
            name: "bench-simulation", dependencies: ["SyncSimulator"], path: "Benchmarks/bench-simulation"),
        .executableTarget(
            name: "bench-load",
            dependencies: [
                "SyncSimulator", "SyncServer", "FieldsyncTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            path: "Benchmarks/bench-load"),
    ]
}
