import Foundation
import SyncServer

extension Fleet {
    /// Creates the teams and advisers of devices `range` and issues one enrolment code per device, in device
    /// order, directly through the server's storage (the calls `sync-server admin` makes, without a process
    /// per call: thousands of devices would take minutes that way).
    ///
    /// Devices are added in order, so a team or adviser is created with its first device; devices added later
    /// join the teams and advisers of the earlier ones.
    func provision(
        _ range: Range<Int>, in storage: any SyncStorage, parallelism: Int
    ) async throws -> [String] {
        let range = range.clamped(to: devices.indices)
        let now = Date()
        let newTeams = range.filter { $0 % teamSize == 0 }.map { devices[$0].team }
        try await Self.forEach(newTeams, parallelism: parallelism) { team in
            _ = try await storage.createTeam(named: team, at: now)
        }
        let newAdvisers = range.filter { ($0 % teamSize) % devicesPerAdviser == 0 }.map { devices[$0] }
        try await Self.forEach(newAdvisers, parallelism: parallelism) { device in
            try await storage.addAdviser(named: device.adviser, toTeam: device.team, canPurge: nil, at: now)
        }
        let codes = range.map { _ in Secrets.makeEnrolmentCode() }
        let expiresAt = now.addingTimeInterval(24 * 3_600)
        try await Self.forEach(Array(zip(range, codes)), parallelism: parallelism) { index, code in
            try await storage.storeEnrolmentCode(
                digest: Secrets.enrolmentCodeDigest(code), adviser: devices[index].adviser, expiresAt: expiresAt,
                at: now)
        }
        return codes
    }
}
