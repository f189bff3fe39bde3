import Foundation
import Testing

/// A young person's course closed long enough ago is erased from every laptop (issue #12, retention), with the real
/// `fieldcli` and a real `sync-server`: the administrator's retention run purges the subject and its notes, and
/// the next sync of each device removes them from its lists and its search, while an open course stays.
@Suite("Retention, end to end", .serialized)
struct RetentionStoryTests: FieldCLIDevices {
    let home: TemporaryDirectory
    let cli: CommandRunner

    init() throws {
        home = try TemporaryDirectory("retention")
        cli = Self.makeRunner()
    }

    /// `YYYY-MM-DD` (UTC) `years` from now: the retention rule's clock.
    static func day(inYears years: Int) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents(
            [.year, .month, .day], from: calendar.date(byAdding: .year, value: years, to: Date())!)
        return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
    }

    @Test func aCourseClosedLongerThanTheRuleIsErasedFromEveryLaptop() throws {
        let server = try SyncServerProcess()
        defer { server.stop() }
        try server.admin("create-team", "north")
        for (device, adviser) in [("a", "mette"), ("b", "lars")] {
            try server.admin("add-adviser", "--team", "north", adviser)
            try on(device, "init", "--adviser", adviser, "--kdf-cost", "12")
            try on(device, "enroll", "--server", server.url, "--code", try server.enrolmentCode(adviser: adviser))
        }
        try on("a", "subject", "add", "ung-0142", "--name", "Sofie", "--status", "closed")
        try on("a", "note", "add", "ung-0142", "-k", "walk", "Walked past the technical college")
        try on("a", "subject", "add", "ung-0200", "--name", "Ali", "--status", "in-education")
        try on("a", "note", "add", "ung-0200", "-k", "phone", "Called about the apprenticeship")
        try on("a", "sync")
        try on("b", "sync")
        #expect(try on("b", "note", "list").stdout.contains("technical college"))

        let asOf = Self.day(inYears: 6)
        let dry = try server.admin("retention", "--team", "north", "--closed-after", "5y", "--as-of", asOf, "--dry-run")
        #expect(dry.stdout.contains("would purge 1 subject and 1 note"), "\(dry.stdout)")
        #expect(!dry.stdout.contains("ung-0142") && !dry.stdout.contains("Sofie"), "ids only")
        try on("b", "sync")
        #expect(try on("b", "note", "list").stdout.contains("technical college"), "a dry run changes nothing")

        let done = try server.admin("retention", "--team", "north", "--closed-after", "5y", "--as-of", asOf)
        #expect(done.stdout.contains("purged 1 subject and 1 note"), "\(done.stdout)")
        for device in ["a", "b"] {
            try on(device, "sync")
            let notes = try on(device, "note", "list").stdout
            #expect(!notes.contains("technical college") && notes.contains("apprenticeship"), "\(device): \(notes)")
            let subjects = try on(device, "subject", "list").stdout
            #expect(!subjects.contains("ung-0142") && !subjects.contains("Sofie") && subjects.contains("ung-0200"))
            #expect(!(try on(device, "search", "college").stdout.contains("technical")))
            try on(device, "verify")
        }
        let audit = try server.admin("audit", "--limit", "20")
        #expect(audit.stdout.contains("retention: closed-after 5y"), "\(audit.stdout)")
    }
}
