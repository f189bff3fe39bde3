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
        ])

    /// Both collections, by name.
    public static let all: [String: Schema] = [subjects.collection: subjects, notes.collection: notes]
}
