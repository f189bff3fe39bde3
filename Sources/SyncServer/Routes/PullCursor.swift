import SyncProtocol

/// The opaque pull cursor: a position in one team's change sequence, with a check value binding it to
/// the team, so a cursor from another team or a made-up one is refused (`400 invalid_cursor`).
///
/// Text form: `1.<seq>.<check>`, where `check` is the first 12 hex digits of
/// SHA-256(`"cursor:" + team + ":" + seq`). Clients must treat it as opaque.
struct PullCursor: Hashable {
    var seq: Int64

    init(seq: Int64) {
        self.seq = seq
    }

    /// Parses a cursor issued for `team`; `nil` means "from the beginning".
    init(parsing text: String?, team: String) throws(APIError) {
        guard let text else {
            self.seq = 0
            return
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "1", let seq = Int64(parts[1]), seq >= 0,
            String(seq) == parts[1], parts[2] == Self.check(team: team, seq: seq)
        else {
            throw APIError(.invalidCursor, "the cursor was not issued by this server for this team")
        }
        self.seq = seq
    }

    /// The text form for `team`.
    func encoded(team: String) -> String {
        "1.\(seq).\(Self.check(team: team, seq: seq))"
    }

    private static func check(team: String, seq: Int64) -> String {
        String(SHA256Digest.hex("cursor:\(team):\(seq)").prefix(12))
    }
}
