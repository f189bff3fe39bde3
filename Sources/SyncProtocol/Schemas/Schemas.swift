/// The collections of the field-adviser app, built on the generic record model
/// (see `shared/design/domain.md`).
public enum Schemas {
    /// A young person's course ("forløb"): pseudonym, who holds the ball, status, goals.
    public static let subjects = try! Schema(
        collection: "subjects",
        fields: [
            // A pseudonymous reference, never a civil registration number.
            FieldSpec("reference", .string, required: true),
            FieldSpec("displayName", .string),
            FieldSpec("status", .string),
            // Responsibility lies with one adviser at a time; handing over is an explicit write.
            FieldSpec("responsibleAdviser", .string),
            FieldSpec("consentRecorded", .bool),
            FieldSpec("consentAt", .timestamp),
            FieldSpec("goals", .text),
            FieldSpec("nextStep", .text),
            FieldSpec("team", .string),
            // Protocol version 2 (README §14): who may read the course, what the young person agreed to share,
            // and when a team's access ends; a duplicate folded into another subject points to it.
            FieldSpec("scope", .tags),
            FieldSpec("consent", .tags),
            FieldSpec("consentLog", .text),
            FieldSpec("accessEnds", .tags),
            FieldSpec("mergedInto", .reference),
        ])

    /// One encounter with a young person.
    public static let notes = try! Schema(
        collection: "notes",
        fields: [
            FieldSpec("subject", .reference, required: true),
            FieldSpec("kind", .string, required: true),
            FieldSpec("occurredAt", .timestamp, required: true),
            FieldSpec("place", .string),
            FieldSpec("body", .text),
            FieldSpec("tags", .tags),
            FieldSpec("followUp", .timestamp),
            // The follow-up date someone marked done: the follow-up is open while it differs from `followUp`, so a
            // concurrent "done" and a new date merge into an open follow-up at the new date.
            FieldSpec("followUpDone", .timestamp),
            FieldSpec("author", .string),
            FieldSpec("device", .string),
            // Protocol version 2: the teams that may read the note, within its subject's scope.
            FieldSpec("scope", .tags),
        ])

    /// The `subjects.status` values that close a young person's course: a closed course is what a server's
    /// retention rule counts from (merge.md, "Closed courses"; `sync-server admin retention`). Every other value,
    /// known or not, leaves the course open.
    public static let closingStatuses: Set<String> = ["closed"]

    /// The fields protocol version 2 added; a record holding one is not sent to a version-1 client.
    public static let fieldsSinceVersion2: [String: Set<String>] = [
        subjects.collection: ["scope", "consent", "consentLog", "accessEnds", "mergedInto"],
        notes.collection: ["scope"],
    ]

    /// Both collections, by name.
    public static let all: [String: Schema] = [subjects.collection: subjects, notes.collection: notes]
}
