extension Record {
    /// This state continued under a new replica id, after the store that holds it lost operations it had synced
    /// (it was restored from a backup or copied), merged with the server's state `server` (README §11.3,
    /// "Continuing as a new replica").
    ///
    /// The store's operations under its old replica ids (`old`) may reuse dots the server holds for other
    /// operations: after the restore, the store counted up again from where the backup stood. `acknowledged`,
    /// when the store kept it, is the clock of what the server had confirmed holding of this record (pulled
    /// states and acknowledged pushes) as the restored store remembers it: own operations within it are the
    /// server's as they are; every later own operation is made again under `replica` with a fresh dot (in the
    /// old dots' order, one new dot per old dot, so an operation that wrote several fields stays one operation),
    /// and the old replicas' clock entries are lowered to it, so the merge keeps the server's operations the
    /// store never saw. Without `acknowledged` (a record the store had not synced when it learned to keep it)
    /// the boundary is read from the states: the entries are lowered below the first own dot under which the
    /// server holds something this state never held while this state still holds something else (another
    /// operation under a reused dot). That misses a reused dot whose operation either side has since
    /// overwritten entirely: the two are then taken for one, and one of them is lost. Then the result is merged
    /// with `server`.
    ///
    /// Nothing is lost: the server's operations stay, the store's operations stay (under new dots). An own write
    /// that was pending in the backup and reached the server before the restore is then held twice with one
    /// value (no conflict). The result passes the push
    /// rule for `replica` with `old` as earlier replica ids. Without a server state (the server has no such
    /// record) the state is returned as it is: no dot of it can collide.
    ///
    /// - Precondition: `server` is a state of the same record; `replica` is not in `old`.
    public func continuing(
        as replica: ReplicaID, insteadOf old: Set<ReplicaID>, server: Record?, acknowledged: VersionVector? = nil
    ) -> Record {
        guard let server else { return self }
        precondition(collection == server.collection && id == server.id, "continuing against another record")
        precondition(!old.contains(replica), "continuing under an old replica id")
        let mine = elements(of: old)
        let theirs = server.elements(of: old)
        // Per old replica: the entry up to which this state's own operations are the server's.
        var entries = clock.entries
        for replica in old {
            var cut = clock[replica]
            if let acknowledged {
                cut = Swift.min(cut, acknowledged[replica])
            } else {
                // Under a dot this state still holds something of, the server holds something this state never
                // held: another operation under the same dot. (A dot this state holds nothing of any more was
                // overwritten here; that the server's operation under it is the same one is assumed.)
                for (dot, held) in theirs where dot.replica == replica {
                    guard let own = mine[dot], !held.isSubset(of: own) else { continue }
                    cut = Swift.min(cut, dot.counter - 1)
                }
            }
            if cut == 0 { entries[replica] = nil } else { entries[replica] = cut }
        }
        let kept = VersionVector(entries)
        // Own dots kept as they are: within the kept entries (the merge drops what the server overwrote since).
        let shared = Set(mine.keys.filter { kept.contains($0) })
        // Fresh dots for the other own operations, in the old dots' order.
        var next = Swift.max(clock[replica], server.clock[replica])
        var renamed: [Dot: Dot] = [:]
        for dot in mine.keys.sorted() where !shared.contains(dot) {
            next += 1
            renamed[dot] = Dot(replica: replica, counter: next)
        }
        if next > 0 { entries[replica] = next }
        let continued = VersionVector(entries)
        // Shared operations above the lowered entries are dropped here; the server's copies come back in the merge.
        func place(_ dot: Dot) -> Dot? {
            if let new = renamed[dot] { return new }
            guard old.contains(dot.replica) else { return dot }
            return continued.contains(dot) ? dot : nil
        }

        var result = Record(collection: collection, id: id)
        result.clock = continued
        result.purgedBy = purgedBy.flatMap(place)
        for (name, writes) in registers {
            let placed = writes.compactMap { write in
                place(write.dot).map { FieldWrite(dot: $0, value: write.value, base: write.base) }
            }
            if !placed.isEmpty { result.registers[name] = placed.sorted { $0.dot < $1.dot } }
        }
        for (name, tags) in tagSets {
            var placed: [String: Set<Dot>] = [:]
            for (tag, dots) in tags {
                let kept = Set(dots.compactMap(place))
                if !kept.isEmpty { placed[tag] = kept }
            }
            if !placed.isEmpty { result.tagSets[name] = placed }
        }
        for (dot, live) in presence {
            if let new = place(dot) { result.presence[new] = live }
        }
        return result.merged(with: server)
    }

    /// What this state holds under each dot of `replicas`: the elements (register writes, tag adds, presence,
    /// the purge) written with it.
    private func elements(of replicas: Set<ReplicaID>) -> [Dot: Set<DottedElement>] {
        var result: [Dot: Set<DottedElement>] = [:]
        func add(_ dot: Dot, _ element: DottedElement) {
            guard replicas.contains(dot.replica) else { return }
            result[dot, default: []].insert(element)
        }
        for (name, writes) in registers {
            for write in writes { add(write.dot, .write(field: name, value: write.value, base: write.base)) }
        }
        for (name, tags) in tagSets {
            for (tag, dots) in tags {
                for dot in dots { add(dot, .tag(field: name, tag: tag)) }
            }
        }
        for (dot, live) in presence { add(dot, .presence(live: live)) }
        if let purgedBy { add(purgedBy, .purge) }
        return result
    }
}

/// One thing a state holds under a dot, compared between two states of a record.
private enum DottedElement: Hashable {
    case write(field: String, value: FieldValue, base: String?)
    case tag(field: String, tag: String)
    case presence(live: Bool)
    case purge
}
