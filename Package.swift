// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "fieldsync",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "SyncProtocol", targets: ["SyncProtocol"]),
        .library(name: "LocalStore", targets: ["LocalStore"]),
        .executable(name: "fieldcli", targets: ["fieldcli"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
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
            dependencies: ["CSQLite", "COpenSSL"],
            cSettings: [.unsafeFlags(["-Wall", "-Wextra", "-Werror=implicit-function-declaration"])]
        ),
        // Pure sync logic: clocks, records, merge, wire messages, engine. No I/O.
        .target(name: "SyncProtocol"),
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
                "LocalStore",
                "SyncProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "SyncProtocolTests", dependencies: ["SyncProtocol"]),
        .testTarget(name: "CFieldVFSTests", dependencies: ["CFieldVFS", "CSQLite"]),
        .testTarget(name: "LocalStoreTests", dependencies: ["LocalStore", "CFieldVFS", "CSQLite"]),
        .testTarget(name: "EndToEndTests", dependencies: []),
    ]
)
