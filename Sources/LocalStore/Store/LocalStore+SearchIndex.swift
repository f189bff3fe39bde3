import GRDB

extension LocalStore {
    /// The size of the full-text search index: how many notes it indexes, and the bytes of its data blocks.
    /// For benchmarks and diagnostics (a removed note must leave the index).
    public func searchIndexSize() throws -> (notes: Int, bytes: Int) {
        try read { db in
            let notes = try Int.fetchOne(db, sql: "SELECT count(*) FROM note_fts") ?? 0
            let bytes = try Int.fetchOne(db, sql: "SELECT coalesce(sum(length(block)), 0) FROM note_fts_data") ?? 0
            return (notes, bytes)
        }
    }
}

extension LocalStore {
    /// Rewrites the search index without the entries of deleted notes. SQLite's FTS5 records a deletion as a
    /// marker next to the deleted note's terms until its segments are merged; after records left the device
    /// (their team's access ended) the terms must leave too, not only stop matching. The cost grows with the
    /// index, so a sync does it once, after it removed records.
    public func compactSearchIndex() throws {
        try write { db in try db.execute(sql: "INSERT INTO note_fts(note_fts) VALUES('optimize')") }
    }
}
