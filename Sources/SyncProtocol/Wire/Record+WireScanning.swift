extension Record {
    /// Reads one record in its wire form (see `Record+WireFormat.swift`) and validates it
    /// (``validateStructure()``).
    ///
    /// Keys may come in any order, so dots (indices into the clock) are resolved once the object is read.
    /// Unknown keys are refused: state this version does not understand must not be dropped by a merge.
    static func scan(_ scanner: inout JSONScanner) throws(WireScanError) -> Record {
        var collection: String?
        var id: String?
        var clockEntries: [(ReplicaID, UInt64)]?
        var rawGroups: [RawGroup] = []
        var rawPresence: [(String, Bool)]?
        var rawPurge: String?
        try scanFields(&scanner, known: recordKeys) { (key, scanner) throws(WireScanError) in
            switch key {
            case "c":
                let text = try scanner.readString()
                guard Names.isValidName(text) else { throw scanner.failure(.invalidValue, "invalid collection name") }
                collection = text
            case "i":
                let text = try scanner.readString()
                guard Names.isValidRecordID(text) else { throw scanner.failure(.invalidValue, "invalid record id") }
                id = text
            case "v": clockEntries = try scanClock(&scanner)
            case "w": rawGroups = try scanGroups(&scanner)
            case "p":
                var entries: [(String, Bool)] = []
                try scanner.beginObject()
                var firstEntry = true
                while let dot = try scanner.nextKey(first: firstEntry) {
                    firstEntry = false
                    scanner.push(.key(dot))
                    guard !entries.contains(where: { $0.0 == dot }) else {
                        throw scanner.failure(.malformedJSON, "repeated member name")
                    }
                    entries.append((dot, try scanner.readBool()))
                    scanner.pop()
                }
                rawPresence = entries
            case "x": rawPurge = try scanner.readString()
            default:
                throw scanner.failure(.unknownField, "unknown field")
            }
        }
        guard let collection, let id, let clockEntries else {
            scanner.push(.key(collection == nil ? "c" : id == nil ? "i" : "v"))
            throw scanner.failure(.missingField, "required field is missing")
        }
        let replicas = clockEntries.map(\.0).sorted()
        var record = Record(collection: collection, id: id)
        record.clock = VersionVector(Dictionary(clockEntries, uniquingKeysWith: max))

        // Paths are only built when something is wrong: this runs for every record of every page.
        func resolve(_ text: String, at path: @autoclosure () -> [WirePathItem]) throws(WireScanError) -> Dot {
            guard let dot = WireDot.parse(text, replicas: replicas) else {
                throw WireScanError(
                    kind: .invalidValue, path: path(),
                    reason: "invalid dot (index:counter, index into the clock)")
            }
            return dot
        }
        let recordPath = scanner.path
        if let rawPurge { record.purgedBy = try resolve(rawPurge, at: recordPath + [.key("x")]) }
        for (index, group) in rawGroups.enumerated() {
            func groupPath() -> [WirePathItem] { recordPath + [.key("w"), .index(index)] }
            let dot = try resolve(group.dot, at: groupPath() + [.key("d")])
            for (name, value) in group.set {
                var base: String?
                if let patch = group.bases.first(where: { $0.name == name })?.patch {
                    guard let text = value.textValue, let found = patch.base(of: text) else {
                        throw WireScanError(
                            kind: .invalidValue, path: groupPath() + [.key("b"), .key(name)],
                            reason: "base of '\(name)' is not a canonical patch of a text written in this group")
                    }
                    base = found
                }
                record.registers[name, default: []].append(FieldWrite(dot: dot, value: value, base: base))
            }
            for (name, _) in group.bases where !group.set.contains(where: { $0.name == name }) {
                throw WireScanError(
                    kind: .invalidValue, path: groupPath() + [.key("b"), .key(name)],
                    reason: "base without a text write of '\(name)'")
            }
            for (name, tags) in group.tags {
                for tag in tags { record.tagSets[name, default: [:]][tag, default: []].insert(dot) }
            }
        }
        for name in record.registers.keys where record.registers[name]!.count > 1 {
            record.registers[name]!.sort { $0.dot < $1.dot }
        }
        if let rawPresence {
            for (text, live) in rawPresence {
                let dot = try resolve(text, at: recordPath + [.key("p")])
                guard record.presence.updateValue(live, forKey: dot) == nil else {
                    throw WireScanError(
                        kind: .invalidValue, path: recordPath + [.key("p")], reason: "two entries name the same dot")
                }
            }
        } else {
            record.presence = impliedPresence(clock: record.clock, purged: rawPurge != nil)
        }
        do {
            try record.validateStructure()
        } catch {
            throw WireScanError(kind: .invalidValue, path: recordPath, reason: error.description)
        }
        return record
    }

    private static func scanClock(_ scanner: inout JSONScanner) throws(WireScanError) -> [(ReplicaID, UInt64)] {
        var entries: [(ReplicaID, UInt64)] = []
        try scanner.beginObject()
        var first = true
        while let key = try scanner.nextKey(first: first) {
            first = false
            // An invalid key is refused before it joins the path: errors never echo what they refuse.
            guard ReplicaID.isValid(key) else { throw scanner.failure(.invalidValue, "invalid replica id") }
            scanner.push(.key(key))
            // Clocks hold a handful of entries: a linear look for a repeat is cheaper than a set.
            guard !entries.contains(where: { $0.0.rawValue == key }) else {
                throw scanner.failure(.malformedJSON, "repeated member name")
            }
            guard entries.count < ProtocolLimits.maxClockEntries else {
                throw scanner.failure(.invalidValue, "more than \(ProtocolLimits.maxClockEntries) clock entries")
            }
            let counter = try scanner.readInteger()
            guard counter >= 1, UInt64(counter) <= ProtocolLimits.maxCounter else {
                throw scanner.failure(.invalidValue, "a record's clock counter is 1 ... 2^53 - 1")
            }
            entries.append((ReplicaID(unchecked: key), UInt64(counter)))
            scanner.pop()
        }
        return entries
    }

    /// A write group as read, before its dot can be resolved against the clock.
    private struct RawGroup {
        var dot = ""
        // Lists, not dictionaries: a group holds a few fields (at most ProtocolLimits.maxFields).
        var set: [(name: String, value: FieldValue)] = []
        var bases: [(name: String, patch: BasePatch)] = []
        var tags: [String: [String]] = [:]
    }

    private static func scanGroups(_ scanner: inout JSONScanner) throws(WireScanError) -> [RawGroup] {
        var groups: [RawGroup] = []
        try scanner.beginArray()
        while try scanner.nextElement(first: groups.isEmpty) {
            scanner.push(.index(groups.count))
            var group = RawGroup()
            var hasDot = false
            try scanFields(&scanner, known: groupKeys) { (key, scanner) throws(WireScanError) in
                switch key {
                case "d":
                    group.dot = try scanner.readString()
                    hasDot = true
                case "s":
                    try scanMap(&scanner) { (name, scanner) throws(WireScanError) in
                        guard group.set.count < ProtocolLimits.maxFields else {
                            throw scanner.failure(.invalidValue, "more than \(ProtocolLimits.maxFields) fields")
                        }
                        guard !group.set.contains(where: { $0.name == name }) else { return false }
                        group.set.append((name, try FieldValue.scan(&scanner)))
                        return true
                    }
                case "b":
                    try scanMap(&scanner) { (name, scanner) throws(WireScanError) in
                        guard group.bases.count < ProtocolLimits.maxFields else {
                            throw scanner.failure(.invalidValue, "more than \(ProtocolLimits.maxFields) fields")
                        }
                        guard !group.bases.contains(where: { $0.name == name }) else { return false }
                        group.bases.append((name, try BasePatch.scan(&scanner)))
                        return true
                    }
                case "t":
                    try scanMap(&scanner) { (name, scanner) throws(WireScanError) in
                        var tags: [String] = []
                        try scanner.beginArray()
                        while try scanner.nextElement(first: tags.isEmpty) {
                            scanner.push(.index(tags.count))
                            // Bounded first, so the linear look for a repeat stays cheap on hostile input.
                            guard tags.count < ProtocolLimits.maxTags else {
                                throw scanner.failure(.invalidValue, "more than \(ProtocolLimits.maxTags) tags")
                            }
                            let tag = try scanner.readString()
                            guard !tags.contains(tag) else { throw scanner.failure(.invalidValue, "duplicate tag") }
                            tags.append(tag)
                            scanner.pop()
                        }
                        guard !tags.isEmpty else { throw scanner.failure(.invalidValue, "an empty list of tags") }
                        return group.tags.updateValue(tags, forKey: name) == nil
                    }
                default:
                    throw scanner.failure(.unknownField, "unknown field")
                }
            }
            guard hasDot else {
                scanner.push(.key("d"))
                throw scanner.failure(.missingField, "required field is missing")
            }
            guard !group.set.isEmpty || !group.tags.isEmpty else {
                throw scanner.failure(.invalidValue, "a write group sets at least one value or tag")
            }
            groups.append(group)
            scanner.pop()
        }
        return groups
    }

    /// The keys of a record and of a write group (see `Record+WireFormat.swift`).
    private static let recordKeys = ["c", "i", "v", "w", "p", "x"]
    private static let groupKeys = ["d", "s", "b", "t"]

    /// Reads an object whose keys are the fixed names `known` (in any order, each at most once): `body` reads the
    /// value of each key, with the key on the path. A repeated known key is refused here; an unknown key is for
    /// `body` to refuse. (At most eight known keys: one bit each, so a repeat is found without a set.)
    private static func scanFields(
        _ scanner: inout JSONScanner, known: [String], _ body: (String, inout JSONScanner) throws(WireScanError) -> Void
    ) throws(WireScanError) {
        try scanner.beginObject()
        var seen: UInt8 = 0
        var first = true
        while let key = try scanner.nextKey(first: first) {
            first = false
            scanner.push(.key(key))
            if let index = known.firstIndex(of: key) {
                let bit = UInt8(1) << UInt8(index)
                guard seen & bit == 0 else { throw scanner.failure(.malformedJSON, "repeated member name") }
                seen |= bit
            }
            try body(key, &scanner)
            scanner.pop()
        }
    }

    /// Reads an object of field name to something, checking the names; `body` reads one value and
    /// answers whether its name was new, so a repeated name is refused.
    private static func scanMap(
        _ scanner: inout JSONScanner, _ body: (String, inout JSONScanner) throws(WireScanError) -> Bool
    ) throws(WireScanError) {
        try scanner.beginObject()
        var first = true
        while let name = try scanner.nextKey(first: first) {
            first = false
            guard Names.isValidName(name) else { throw scanner.failure(.invalidValue, "invalid field name") }
            scanner.push(.key(name))
            guard try body(name, &scanner) else { throw scanner.failure(.malformedJSON, "repeated member name") }
            scanner.pop()
        }
    }
}

/// Dots on the wire: `"index:counter"`, `index` a position in the record's clock.
enum WireDot {
    /// Parses `text` against the clock's replicas in byte order; `nil` when malformed or out of range.
    static func parse(_ text: String, replicas: [ReplicaID]) -> Dot? {
        var index = 0
        var counter: UInt64 = 0
        var sawColon = false
        var digits = 0
        var leadingZero = false
        for byte in text.utf8 {
            if byte == UInt8(ascii: ":") {
                guard !sawColon, digits > 0, !(leadingZero && digits > 1) else { return nil }
                sawColon = true
                digits = 0
                leadingZero = false
                continue
            }
            guard byte >= 0x30 && byte <= 0x39, digits < 16 else { return nil }
            let digit = Int(byte - 0x30)
            if digits == 0 { leadingZero = digit == 0 }
            digits += 1
            if sawColon {
                counter = counter * 10 + UInt64(digit)
            } else {
                index = index * 10 + digit
            }
        }
        guard sawColon, digits > 0, !leadingZero, counter <= ProtocolLimits.maxCounter, index < replicas.count else {
            return nil
        }
        return Dot(replica: replicas[index], counter: counter)
    }
}
