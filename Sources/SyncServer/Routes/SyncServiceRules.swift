import SyncProtocol

/// What a ``SyncService`` does to a pushed record that tests may change: the merge, and faults that break the
/// routing of scope changes.
///
/// Production servers use ``standard``. The simulator swaps in a wrong merge or a fault to prove that its oracle
/// notices what users would lose; nothing outside the package can reach it.
package struct SyncServiceRules: Sendable {
    /// Merges the stored version (first) with the pushed one (second).
    package var merge: @Sendable (_ stored: Record, _ pushed: Record) -> Record
    /// A fault: a team that leaves a record's scope is not told (the record keeps being routed to every team that
    /// ever read it), as a server that forgets to route scope changes would do.
    package var forgetsNarrowing: Bool

    /// Rules made of `merge` and the faults.
    package init(
        merge: @escaping @Sendable (_ stored: Record, _ pushed: Record) -> Record = { $0.merged(with: $1) },
        forgetsNarrowing: Bool = false
    ) {
        self.merge = merge
        self.forgetsNarrowing = forgetsNarrowing
    }

    /// The protocol's merge, no fault.
    package static let standard = SyncServiceRules()
}
