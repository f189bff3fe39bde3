/// The client's side of scope changes (README §14): the writes that share a record with a team, end a team's
/// access, and record when access ends. Pure functions of the record, so the CLI's store and the simulator's
/// devices make the same writes.
extension Record {
    /// Widens the record's scope to `teams`.
    ///
    /// A scope that names no team means "the home team only", so the first widening names `ownTeam` too: adding
    /// only the other team would lock the writer's own team out. Teams already named get no new write.
    ///
    /// ```swift
    /// let shared = subject.widening(scopeTo: ["jobcentre"], ownTeam: "north", by: laptop)
    /// shared.scopeTeams  // ["north", "jobcentre"]
    /// ```
    public func widening(scopeTo teams: Set<String>, ownTeam: String, by replica: ReplicaID) -> Record {
        let named = scopeTeams
        let added = named.isEmpty ? teams.union([ownTeam]) : teams.subtracting(named)
        return added.isEmpty ? self : addingTags(added, to: ScopeFields.scope, by: replica)
    }

    /// Removes `teams` from the record's scope (the adds this replica has seen: a concurrent share survives).
    /// A scope that names no team is left alone: it means the home team, which only a widening can change.
    public func narrowing(scopeBy teams: Set<String>, by replica: ReplicaID) -> Record {
        let present = scopeTeams.intersection(teams)
        return present.isEmpty ? self : removingTags(present, from: ScopeFields.scope, by: replica)
    }

    /// Records that `end.team`'s access ends on `end.day`, replacing any earlier date for that team.
    public func endingAccess(_ end: AccessEnd, by replica: ReplicaID) -> Record {
        let earlier = Set(accessEnds.filter { $0.team == end.team && $0 != end }.map(\.tag))
        var record = earlier.isEmpty ? self : removingTags(earlier, from: ScopeFields.accessEnds, by: replica)
        record = record.addingTags([end.tag], to: ScopeFields.accessEnds, by: replica)
        return record
    }

    /// Drops every access end recorded for `team` (it no longer reads the record anyway).
    public func forgettingAccessEnds(of team: String, by replica: ReplicaID) -> Record {
        let entries = Set(accessEnds.filter { $0.team == team }.map(\.tag))
        return entries.isEmpty ? self : removingTags(entries, from: ScopeFields.accessEnds, by: replica)
    }
}
