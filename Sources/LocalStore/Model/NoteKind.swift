/// The type of encounter a note records (from the advisers' own vocabulary).
public enum NoteKind: String, CaseIterable, Codable, Sendable {
    case intake = "intake"
    case followUpMeeting = "follow-up"
    case walk = "walk"
    case homeVisit = "home-visit"
    case phone = "phone"
    case sms = "sms"
    case escort = "escort"
    case group = "group"
    case placementFollowUp = "placement-follow-up"
    case informal = "informal"
    /// The note that hands a young person's course to the next responsible adviser (`subject handover`): what
    /// passes on, as little history as possible.
    case handover = "handover"

    /// Parses a kind, accepting the canonical names and a few spellings people type.
    public init?(parsing text: String) {
        let key = text.lowercased().replacingOccurrences(of: "_", with: "-").replacingOccurrences(of: " ", with: "-")
        if let kind = NoteKind(rawValue: key) {
            self = kind
            return
        }
        switch key {
        case "intake-meeting": self = .intake
        case "followup", "follow-up-meeting": self = .followUpMeeting
        case "home", "visit": self = .homeVisit
        case "call", "phone-call": self = .phone
        case "text", "text-message": self = .sms
        case "escort-to-appointment", "appointment": self = .escort
        case "group-activity": self = .group
        case "placement": self = .placementFollowUp
        case "hand-over", "overlevering": self = .handover
        default: return nil
        }
    }
}

/// Where a young person's course stands.
public enum SubjectStatus: String, CaseIterable, Codable, Sendable {
    case educationReady = "education-ready"
    case notEducationReady = "not-education-ready"
    case inEducation = "in-education"
    case inJob = "in-job"
    case droppedOut = "dropped-out"
    case closed = "closed"
}
