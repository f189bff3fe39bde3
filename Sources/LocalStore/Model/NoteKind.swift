/// The type of encounter a note records (from the advisers' own vocabulary).
public enum NoteKind: String, CaseIterable, Codable, Sendable {
    /// The first meeting with the young person.
    case intake = "intake"
    /// A meeting that follows up on an earlier one.
    case followUpMeeting = "follow-up"
    /// A walk with the young person, e.g. past possible schools or workplaces.
    case walk = "walk"
    /// A visit at the young person's home.
    case homeVisit = "home-visit"
    /// A phone call.
    case phone = "phone"
    /// A text message.
    case sms = "sms"
    /// Going with the young person to an appointment.
    case escort = "escort"
    /// A group activity.
    case group = "group"
    /// A follow-up with a placement host (a school or workplace).
    case placementFollowUp = "placement-follow-up"
    /// Any other, informal contact.
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
    /// Ready to start an education.
    case educationReady = "education-ready"
    /// Not yet ready to start an education (the status of a new subject).
    case notEducationReady = "not-education-ready"
    /// In an education.
    case inEducation = "in-education"
    /// In a job.
    case inJob = "in-job"
    /// Dropped out of an education or a job.
    case droppedOut = "dropped-out"
    /// The course is closed.
    case closed = "closed"
}
