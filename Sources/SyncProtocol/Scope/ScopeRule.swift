/// The server's scope decisions for a pushed record (README §14.3), without I/O: the storage reads what they
/// need (the stored record, its home team and readers, the subject's scope, the team's partners) inside the
/// push transaction and calls them there, so the decision and the write see the same state.
public enum ScopeRule {
    /// What a pushed record changes about who reads it.
    public struct Decision: Hashable, Sendable {
        /// The record's scope after the push.
        public var scope: Set<String>
        /// The teams that read the record after the push (a note's scope within its subject's).
        public var readers: Set<String>
    }

    /// Checks the values version 2 gives meaning to: `scope` and `consent` name teams (identifiers), and every
    /// `accessEnds` entry is `TEAM@YYYY-MM-DD`.
    public static func check(_ record: Record) throws(ScopeViolation) {
        for field in [ScopeFields.scope, ScopeFields.consent] {
            for team in record.tagSets[field]?.keys ?? [:].keys where !WireLimits.isValidIdentifier(team) {
                throw ScopeViolation(.invalidValue, "'\(field)' holds a value that is not a team id", field: field)
            }
        }
        for tag in record.tagSets[ScopeFields.accessEnds]?.keys ?? [:].keys where AccessEnd(tag: tag) == nil {
            throw ScopeViolation(
                .invalidValue, "'accessEnds' holds a value that is not TEAM@YYYY-MM-DD", field: ScopeFields.accessEnds)
        }
    }

    /// Decides a push through `team` that turns `stored` into `merged`.
    ///
    /// - Parameters:
    ///   - merged: the record as it will be stored (the stored state merged with the pushed one).
    ///   - stored: the record as stored before the push, `nil` for a new record.
    ///   - home: the team the record was first pushed to (`team` for a new record).
    ///   - storedReaders: the teams reading the stored record (ignored for a new record).
    ///   - team: the team the push is addressed to.
    ///   - partners: the teams `team` may share with (`sync-server admin partner`).
    ///   - subjectScope: for a note, its subject's scope as stored (`nil` when the server does not hold it).
    ///   - version: the batch's protocol version.
    /// - Throws: `403 forbidden_record` when `team` does not read the stored record, or a new note's subject; `403 forbidden_scope` when
    ///   a new record's scope leaves `team` out, or the push widens the scope to a team that is not `team` or one
    ///   of its partners, or a note's scope beyond its subject's; `403 consent_required` when a subject's scope
    ///   grows by a team its `consent` does not name; `400 unsupported_version` when a version-1 batch touches a
    ///   record that only version 2 can represent.
    public static func decide(
        merged: Record, stored: Record?, home: String, storedReaders: Set<String>, team: String,
        partners: Set<String>, subjectScope: Set<String>?, version: Int
    ) throws(ScopeViolation) -> Decision {
        if stored != nil, !storedReaders.contains(team) {
            throw ScopeViolation(.forbiddenRecord, "the record is not in this team's scope")
        }
        if version < 2, !merged.isRepresentable(inVersion: version) {
            throw ScopeViolation(
                .unsupportedVersion, "the record is shared between teams; protocol version 2 is needed to write it")
        }
        try check(merged)
        let scope = merged.scope(home: home)
        let before = stored?.scope(home: home) ?? [team]
        if stored == nil, !scope.contains(team) {
            throw ScopeViolation(.forbiddenScope, "a new record's scope must include the team it is pushed to")
        }
        // A new note no team would read (written offline about a subject handed over meanwhile) would be stored
        // for nobody, and the removal that follows would take it from the device too: refused, so the device
        // keeps it aside instead. (A handover note pushed with the handover is read by the receiving team.)
        if stored == nil, merged.collection == ScopeFields.notes, let subjectScope, scope.isDisjoint(with: subjectScope)
        {
            throw ScopeViolation(.forbiddenRecord, "the note's subject is not in this team's scope")
        }
        for added in scope.subtracting(before).sorted() where added != team {
            guard partners.contains(added) else {
                throw ScopeViolation(
                    .forbiddenScope, "team '\(added)' is not a partner of team '\(team)'", field: ScopeFields.scope)
            }
            switch merged.collection {
            case ScopeFields.subjects:
                guard merged.consentTeams.contains(added) else {
                    throw ScopeViolation(
                        .consentRequired, "no consent recorded for sharing with team '\(added)'",
                        field: ScopeFields.consent)
                }
            default:
                guard let subjectScope, subjectScope.contains(added) else {
                    throw ScopeViolation(
                        .forbiddenScope, "a note can be shared only with teams its subject is shared with",
                        field: ScopeFields.scope)
                }
            }
        }
        return Decision(
            scope: scope, readers: readers(scope: scope, collection: merged.collection, subjectScope: subjectScope))
    }

    /// The teams that read a record with `scope`: a subject's readers are its scope; a note's are its scope
    /// within its subject's (all of its scope while the server does not hold the subject).
    public static func readers(scope: Set<String>, collection: String, subjectScope: Set<String>?) -> Set<String> {
        guard collection == ScopeFields.notes, let subjectScope else { return scope }
        return scope.intersection(subjectScope)
    }
}

/// A push the scope rules refuse: the protocol's code, a message naming no record content, and the field.
public struct ScopeViolation: Error, Hashable, Sendable, CustomStringConvertible {
    /// The error code of the answer.
    public var code: ErrorCode
    /// What is wrong, naming teams and fields but no record content.
    public var message: String
    /// The field concerned, if one.
    public var field: String?

    /// Creates a violation.
    public init(_ code: ErrorCode, _ message: String, field: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
    }

    /// The message, naming teams and fields but no record content.
    public var description: String { message }

    /// The answer for the record at `index` of a batch.
    public func errorBody(key: RecordKey, index: Int) -> ErrorBody {
        ErrorBody(
            code: code, message: message, details: ErrorDetails(collection: key.collection, id: key.id, index: index))
    }
}
