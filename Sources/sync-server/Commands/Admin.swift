import ArgumentParser
import Foundation
import SyncServer

/// `sync-server admin`: manage teams, advisers, enrolment codes and devices in the server's database.
struct Admin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage teams, advisers, enrolment codes and devices.",
        discussion: """
            Works directly on the database (the server may be running). Give the database before the \
            command: 'sync-server admin --database sqlite:/srv/fs.sqlite create-team north'.
            """,
        subcommands: [
            CreateTeam.self, AddAdviser.self, EnrolmentCode.self, Devices.self, Revoke.self, Audit.self,
            RemoveAdviser.self, Partner.self, ExpireAccess.self, AccessReportCommand.self, Duplicates.self,
            RetentionCommand.self, Compact.self,
            CreateKey.self, Backup.self, Restore.self, EncryptRecords.self,
        ]
    )

    @OptionGroup var storage: StorageOptions

    /// Opens the storage, migrates it, runs `body`, and stops the storage again.
    func withStorage<Result: Sendable>(
        _ body: @escaping @Sendable (any SyncStorage) async throws -> Result
    )
        async throws -> Result
    {
        let logger = try storage.makeLogger(label: "fieldsync.admin")
        let backend = try storage.location().open(encryptionKey: try storage.encryptionKey(), logger: logger)
        do {
            return try await backend.withRunning { storage in try await body(storage) }
        } catch let error as StorageError {
            switch error {
            case .recordKeyRequired, .wrongRecordKey, .recordsNotEncrypted, .sealedRecord:
                // About the key, not the command line: one line, without the usage.
                throw error
            default:
                throw ValidationError(error.description)
            }
        }
    }
}

extension Admin {
    struct CreateTeam: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create-team", abstract: "Create a team.")

        @ParentCommand var admin: Admin
        @Argument(help: "The team's name: letters, digits, '.', '_', '-' (it appears in URLs).")
        var name: String

        func run() async throws {
            let name = self.name
            let team = try await admin.withStorage { storage in try await storage.createTeam(named: name, at: Date()) }
            print("created team \(team.name)")
        }
    }

    struct AddAdviser: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add-adviser",
            abstract: "Add an adviser to a team (the adviser is created on first use).")

        @ParentCommand var admin: Admin
        @Option(help: "The team to join.") var team: String
        @Flag(name: .customLong("can-purge"), help: "Allow the adviser's devices to push purges (legal erasure).")
        var canPurge = false
        @Argument(help: "The adviser's name.") var name: String

        func run() async throws {
            let (name, team, canPurge) = (self.name, self.team, self.canPurge)
            try await admin.withStorage { storage in
                try await storage.addAdviser(named: name, toTeam: team, canPurge: canPurge ? true : nil, at: Date())
            }
            print("adviser \(name) is a member of team \(team)\(canPurge ? " and may purge" : "")")
        }
    }

    struct EnrolmentCode: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "enrolment-code",
            abstract: "Issue a one-time enrolment code for a new device of an adviser.",
            discussion: "The code is printed alone on the last line of standard output.")

        @ParentCommand var admin: Admin
        @Option(help: "The adviser the device will belong to.") var adviser: String
        @Option(help: "How long the code stays valid: e.g. 30m, 24h, 7d.") var expires = "24h"

        func run() async throws {
            let lifetime = try Self.parseDuration(expires)
            let code = Secrets.makeEnrolmentCode()
            let expiresAt = Date().addingTimeInterval(lifetime)
            let adviser = self.adviser
            try await admin.withStorage { storage in
                try await storage.storeEnrolmentCode(
                    digest: Secrets.enrolmentCodeDigest(code), adviser: adviser, expiresAt: expiresAt, at: Date())
            }
            print("one-time enrolment code for \(adviser), valid until \(expiresAt.ISO8601Format()):")
            print(code)
        }

        static func parseDuration(_ text: String) throws -> TimeInterval {
            let units: [Character: TimeInterval] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400]
            guard let unit = text.last, let scale = units[unit], let value = Double(text.dropLast()), value > 0,
                value * scale <= 90 * 86_400
            else { throw ValidationError("--expires takes a duration such as 30m, 24h or 7d (at most 90d)") }
            return value * scale
        }
    }

    struct Devices: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List enrolled devices.")

        @ParentCommand var admin: Admin
        @Flag(help: "Print JSON instead of a table.") var json = false

        func run() async throws {
            let devices = try await admin.withStorage { storage in try await storage.devices() }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                encoder.dateEncodingStrategy = .iso8601
                print(String(decoding: try encoder.encode(devices), as: UTF8.self))
                return
            }
            print(["DEVICE", "ADVISER", "LABEL", "ENROLLED", "LAST SEEN", "STATE"].joined(separator: "\t"))
            for device in devices {
                print(
                    [
                        device.id, device.adviser, device.label, device.enrolledAt.ISO8601Format(),
                        device.lastSeenAt?.ISO8601Format() ?? "-", device.revoked ? "revoked" : "active",
                    ].joined(separator: "\t"))
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a device: its token stops working at once.")

        @ParentCommand var admin: Admin
        @Argument(help: "The device id (see 'devices').") var device: String

        func run() async throws {
            let device = self.device
            try await admin.withStorage { storage in try await storage.revokeDevice(id: device, at: Date()) }
            print("revoked \(device)")
        }
    }

    struct Audit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the latest audit log entries, newest first.")

        @ParentCommand var admin: Admin
        @Option(help: "How many entries.") var limit = 50
        @Flag(help: "Print JSON instead of lines.") var json = false

        func run() async throws {
            let limit = self.limit
            let events = try await admin.withStorage { storage in try await storage.auditEvents(limit: limit) }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                encoder.dateEncodingStrategy = .iso8601
                print(String(decoding: try encoder.encode(events), as: UTF8.self))
                return
            }
            for event in events {
                print(
                    [
                        event.at.ISO8601Format(), event.action.rawValue, event.deviceID ?? "-", event.adviser ?? "-",
                        event.team ?? "-", event.outcome, event.detail ?? "-", event.recordIDs.joined(separator: ","),
                    ].joined(separator: "\t"))
            }
        }
    }
}
