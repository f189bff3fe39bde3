/// Note text shaped like the advisers' notes: a few lines of agreements, observations and next
/// steps. Every line carries a unique token (`l123q`), so lines are distinct (three-way merges work
/// as on real text) and the oracle can look for a purged note's words anywhere.
enum NoteText {
    static let openings = [
        "Met at the job centre", "Walked past the vocational school", "Home visit with mother present",
        "Phone call in the evening", "Escorted to the psychiatry appointment", "Group activity at the club",
        "Follow-up call with the placement host", "Informal chat at the station",
    ]
    static let topics = [
        "housing is still uncertain", "wants to try the welding course", "sleeping badly again",
        "has started at the bakery placement", "debt counselling booked", "talked about the driving licence",
        "mentor meeting went well", "school start in August seems realistic", "missed two days at work",
        "consent for sharing with the school recorded",
    ]
    static let steps = [
        "Next step: call on Friday", "Next step: visit the school together", "Next step: meeting with UU",
        "Next step: ask the job centre about the IPS course", "Next step: aftercare call in 14 days",
        "Next step: help with the housing application",
    ]
    static let places = ["job centre", "school", "home", "station", "café", "phone", ""]
    static let kinds = [
        "intake", "follow-up", "walk", "home-visit", "phone", "sms", "escort", "group", "placement-follow-up",
        "informal",
    ]
    static let statuses = [
        "education-ready", "not-education-ready", "in-education", "in-job", "dropped-out", "closed",
    ]
    static let tags = [
        "housing", "placement", "education-ready", "health", "family", "job-centre", "school", "aftercare",
    ]

    /// A line with a fresh token.
    static func line(_ token: Int, random: inout SimulationRandom) -> String {
        let pool = [openings, topics, steps][random.int(0..<3)]
        return "\(random.pick(pool)) (l\(token)q)."
    }

    /// The tokens of a text.
    static func tokens(in text: String) -> [String] {
        var result: [String] = []
        var rest = Substring(text)
        while let open = rest.range(of: "(l") {
            let after = rest[open.upperBound...]
            guard let close = after.firstIndex(of: "q") else { break }
            let digits = after[..<close]
            if !digits.isEmpty, digits.allSatisfy(\.isNumber) { result.append("l\(digits)q") }
            rest = after[close...]
        }
        return result
    }
}
