import FieldsyncTestSupport
import Foundation

/// Who the simulated devices belong to: teams of `teamSize` devices, each adviser with `devicesPerAdviser`
/// devices (a laptop and a phone), so pulls carry a team's notes to ~10 devices, not to all of them.
struct Fleet: Sendable {
    struct Device: Sendable {
        var team: String
        var adviser: String
    }

    let devices: [Device]
    let teamSize: Int
    let devicesPerAdviser: Int

    init(devices count: Int, teamSize: Int, devicesPerAdviser: Int) {
        self.teamSize = teamSize
        self.devicesPerAdviser = devicesPerAdviser
        devices = (0..<count).map { index in
            let team = index / teamSize
            let adviser = (index % teamSize) / devicesPerAdviser
            return Device(team: "load-team-\(team)", adviser: "load-t\(team)-adviser-\(adviser)")
        }
    }

    var teams: [String] { Self.unique(devices.map(\.team)) }
    /// Each adviser once, with their team (adviser names carry the team's number, so they are unique).
    var advisers: [(name: String, team: String)] {
        var seen = Set<String>()
        return devices.filter { seen.insert($0.adviser).inserted }.map { ($0.adviser, $0.team) }
    }

    /// Creates the teams and advisers and issues one enrolment code per device, in device order.
    ///
    /// The first team is created alone, so that the first admin command migrates the fresh database before
    /// others open it; the rest run `parallelism` at a time.
    func provision(
        with admin: AdminCommand, parallelism: Int, progress: @Sendable (String) -> Void
    ) async throws -> [String] {
        let teams = self.teams
        guard let first = teams.first else { return [] }
        _ = try await admin.run(["create-team", first])
        try await Self.forEach(Array(teams.dropFirst()), parallelism: parallelism) { team in
            _ = try await admin.run(["create-team", team])
        }
        let advisers = self.advisers
        progress("\(teams.count) teams; adding \(advisers.count) advisers")
        try await Self.forEach(advisers, parallelism: parallelism) { adviser in
            _ = try await admin.run(["add-adviser", "--team", adviser.team, adviser.name])
        }
        progress("issuing \(devices.count) enrolment codes")
        let codes = Locked([String?](repeating: nil, count: devices.count))
        try await Self.forEach(Array(devices.enumerated()), parallelism: parallelism) { index, device in
            let output = try await admin.run(["enrolment-code", "--adviser", device.adviser, "--expires", "2h"])
            // The code is alone on the last line of the output.
            guard let code = output.split(separator: "\n").last.map(String.init), !code.isEmpty else {
                throw BenchError("enrolment-code for \(device.adviser) printed no code")
            }
            codes.mutate { $0[index] = code }
        }
        return codes.value.compactMap { $0 }
    }

    /// Runs `body` on every element, at most `parallelism` at a time; the first error cancels the rest.
    static func forEach<Element: Sendable>(
        _ elements: [Element], parallelism: Int, _ body: @escaping @Sendable (Element) async throws -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var pending = elements[...]
            for _ in 0..<max(1, parallelism) {
                guard let element = pending.popFirst() else { break }
                group.addTask { try await body(element) }
            }
            while try await group.next() != nil {
                if let element = pending.popFirst() { group.addTask { try await body(element) } }
            }
        }
    }

    private static func unique(_ names: [String]) -> [String] {
        var seen = Set<String>()
        return names.filter { seen.insert($0).inserted }
    }
}
