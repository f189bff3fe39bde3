import Foundation
import LocalStore

/// The words of the export for the young person: plain language in their language, no internal codes, dates
/// written out. Every function takes the export's language, which may differ from the adviser's.
extension Text {
    /// A note kind in plain words; a switch over every case, so a new kind does not compile without its words.
    static func plain(_ kind: NoteKind, in language: Language) -> String {
        switch kind {
        case .intake: return say(in: language, en: "First meeting", da: "Første samtale")
        case .followUpMeeting: return say(in: language, en: "Follow-up meeting", da: "Opfølgende samtale")
        case .walk: return say(in: language, en: "Walk together", da: "Gåtur sammen")
        case .homeVisit: return say(in: language, en: "Home visit", da: "Hjemmebesøg")
        case .phone: return say(in: language, en: "Phone call", da: "Telefonsamtale")
        case .sms: return say(in: language, en: "Text message", da: "Sms")
        case .escort: return say(in: language, en: "Went with you to an appointment", da: "Fulgte dig til en aftale")
        case .group: return say(in: language, en: "Group activity", da: "Gruppeaktivitet")
        case .placementFollowUp:
            return say(in: language, en: "Follow-up on your work placement", da: "Opfølgning på din praktik")
        case .informal: return say(in: language, en: "Informal contact", da: "Uformel kontakt")
        case .handover: return say(in: language, en: "Handover to a new adviser", da: "Overlevering til ny vejleder")
        }
    }

    /// A status in plain words; a switch over every case, as for kinds.
    static func plain(_ status: SubjectStatus, in language: Language) -> String {
        switch status {
        case .educationReady:
            return say(in: language, en: "Ready to start an education", da: "Uddannelsesparat")
        case .notEducationReady:
            return say(in: language, en: "Not yet ready to start an education", da: "Endnu ikke uddannelsesparat")
        case .inEducation: return say(in: language, en: "In education", da: "I uddannelse")
        case .inJob: return say(in: language, en: "In a job", da: "I job")
        case .droppedOut: return say(in: language, en: "Has left the education", da: "Stoppet på uddannelsen")
        case .closed: return say(in: language, en: "The course has ended", da: "Forløbet er afsluttet")
        }
    }

    /// A kind as recorded, in plain words; a word this version does not know is shown as it is, never as another.
    static func plainKind(recorded value: String, in language: Language) -> String {
        NoteKind(rawValue: value).map { plain($0, in: language) } ?? value
    }

    /// A status as recorded, in plain words; an unknown one as it is.
    static func plainStatus(recorded value: String, in language: Language) -> String {
        SubjectStatus(rawValue: value).map { plain($0, in: language) } ?? value
    }

    /// A day written out: `3. december 2026`, `3 December 2026`.
    static func writtenDay(_ date: Date, in language: Language, calendar: Calendar = .current) -> String {
        let parts = calendar.dateComponents([.day, .month, .year], from: date)
        let day = parts.day ?? 1, month = parts.month ?? 1, year = parts.year ?? 1970
        return say(
            in: language, en: "\(day) \(englishMonths[month - 1]) \(year)",
            da: "\(day). \(danishMonths[month - 1]) \(year)")
    }

    /// A day and time written out: `3. december 2026 kl. 14.30`, `3 December 2026 at 14:30`.
    static func writtenTime(_ date: Date, in language: Language, calendar: Calendar = .current) -> String {
        let parts = calendar.dateComponents([.hour, .minute], from: date)
        let hour = String(format: "%02d", parts.hour ?? 0), minute = String(format: "%02d", parts.minute ?? 0)
        let day = writtenDay(date, in: language, calendar: calendar)
        return say(in: language, en: "\(day) at \(hour):\(minute)", da: "\(day) kl. \(hour).\(minute)")
    }

    private static let englishMonths = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
        "November", "December",
    ]
    private static let danishMonths = [
        "januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober", "november",
        "december",
    ]

    /// The lines of the export around the notes.
    enum Export {
        static func intro(_ language: Language) -> String {
            say(
                in: language, en: "This is what we have written about you and your course.",
                da: "Her er det, vi har skrevet om dig og dit forløb.")
        }
        static func status(_ language: Language) -> String {
            say(in: language, en: "Where you stand now", da: "Hvor du står nu")
        }
        static func adviser(_ language: Language) -> String {
            say(in: language, en: "Your adviser", da: "Din vejleder")
        }
        static func consent(_ recorded: Bool, _ language: Language) -> String {
            recorded
                ? say(in: language, en: "Your consent: recorded", da: "Dit samtykke: givet og noteret")
                : say(in: language, en: "Your consent: not recorded", da: "Dit samtykke: ikke noteret")
        }
        static func goals(_ language: Language) -> String { say(in: language, en: "Your goals", da: "Dine mål") }
        static func nextStep(_ language: Language) -> String {
            say(in: language, en: "Next step", da: "Næste skridt")
        }
        static func duplicate(_ id: String, _ language: Language) -> String {
            say(
                in: language, en: "Also written down separately (id \(id), to be joined with the above)",
                da: "Også noteret for sig (id \(id); lægges sammen med ovenstående)")
        }
        static func summary(notes count: Int, exported: String, _ language: Language) -> String {
            say(
                in: language,
                en: "\(count == 1 ? "1 note" : "\(count) notes"); this summary was made \(exported)",
                da: "\(count == 1 ? "1 notat" : "\(count) notater"); oversigten er lavet \(exported)")
        }
        static func writtenBy(_ author: String, _ language: Language) -> String {
            say(in: language, en: "Written by \(author)", da: "Skrevet af \(author)")
        }
        static func place(_ place: String, _ language: Language) -> String {
            say(in: language, en: "where: \(place)", da: "sted: \(place)")
        }
        static func tags(_ tags: String, _ language: Language) -> String {
            say(in: language, en: "topics: \(tags)", da: "emner: \(tags)")
        }
        static func followUp(_ day: String, _ language: Language) -> String {
            say(in: language, en: "we follow up by \(day)", da: "vi følger op senest \(day)")
        }
    }
}
