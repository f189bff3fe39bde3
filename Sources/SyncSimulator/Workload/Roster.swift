/// Who works where: teams of advisers, each with one or two devices, and a data-protection console
/// per team (the only replica allowed to purge), shaped after `shared/design/domain.md`.
struct Roster {
    struct Adviser {
        var index: Int
        var name: String
        var team: Int
        var devices: [Int]
        /// The size of the caseload this adviser starts with (10–25 young people).
        var caseload: Int
    }

    struct Team {
        var index: Int
        var name: String
        var advisers: [Int]
        var devices: [Int]
        var console: Int
    }

    enum Role: Equatable {
        case adviser(Int)
        case console
    }

    struct DeviceSpec {
        var index: Int
        var name: String
        var team: Int
        var role: Role
    }

    var advisers: [Adviser] = []
    var teams: [Team] = []
    var devices: [DeviceSpec] = []
    /// Pairs of teams the administrator lets share with each other (version 2): each team with the next, as
    /// the organisations along a young person's course (school guidance, vocational school, job centre).
    var partners: [(Int, Int)] = []

    /// Lays out `deviceCount` adviser devices: advisers with a laptop and (usually) a phone, in teams
    /// of 6–11 advisers (or `sizes`); then one console per team.
    init(deviceCount: Int, teamSize sizes: ClosedRange<Int> = 6...11, random: inout SimulationRandom) {
        var remaining = deviceCount
        var teamSize = random.int(sizes)
        while remaining > 0 {
            if teams.isEmpty || teams[teams.count - 1].advisers.count >= teamSize {
                let index = teams.count
                teams.append(Team(index: index, name: "team-\(index)", advisers: [], devices: [], console: -1))
                teamSize = random.int(sizes)
            }
            let team = teams.count - 1
            let deviceTotal = min(remaining, random.chance(0.65) ? 2 : 1)
            let adviserIndex = advisers.count
            var owned: [Int] = []
            for _ in 0..<deviceTotal {
                let index = devices.count
                devices.append(DeviceSpec(index: index, name: "d\(index)", team: team, role: .adviser(adviserIndex)))
                owned.append(index)
            }
            advisers.append(
                Adviser(
                    index: adviserIndex, name: "a\(adviserIndex)", team: team, devices: owned,
                    caseload: random.int(10...25)))
            teams[team].advisers.append(adviserIndex)
            teams[team].devices.append(contentsOf: owned)
            remaining -= deviceTotal
        }
        for team in teams.indices.dropLast() { partners.append((team, team + 1)) }
        for team in teams.indices {
            let index = devices.count
            devices.append(DeviceSpec(index: index, name: "c\(team)", team: team, role: .console))
            teams[team].console = index
        }
    }

    /// The teams `team` may share with.
    func partners(of team: Int) -> [Int] {
        partners.compactMap { $0.0 == team ? $0.1 : $0.1 == team ? $0.0 : nil }
    }

    /// The number of adviser devices (consoles excluded).
    var adviserDeviceCount: Int { devices.count - teams.count }
}
