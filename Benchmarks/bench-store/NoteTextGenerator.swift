import FieldsyncTestSupport
import Foundation
import LocalStore

/// Makes deterministic, note-like test data: ~1 KB bodies whose words follow a Zipf distribution over a
/// 4,000-word vocabulary, so full-text queries meet common, middling and rare terms as they would in real notes.
///
/// A few domain words sit at fixed ranks; `searchQueries` uses them, which fixes how many notes each query hits
/// (see docs/benchmarks.md).
struct NoteTextGenerator {
    static let vocabularySize = 4_000
    /// Words placed at fixed ranks of the Zipf distribution (rank 0 is the most frequent word).
    static let anchoredWords: [(rank: Int, word: String)] = [
        (0, "and"), (1, "the"), (2, "with"), (3, "meeting"), (7, "school"), (12, "agreed"),
        (40, "motivation"), (100, "placement"), (250, "housing"), (600, "psychiatry"),
        (900, "psychologist"), (1_500, "apprenticeship"), (3_500, "skateboard"),
    ]
    /// Further domain words, spread over the remaining ranks to make the text read like notes.
    static let domainWords = [
        "mentor", "education", "job", "centre", "interview", "bus", "walk", "doctor", "contract", "welding",
        "kitchen", "football", "diploma", "mother", "father", "sister", "debt", "sleep", "anxiety", "friends",
        "caseworker", "municipality", "appointment", "application", "internship", "employer", "teacher",
        "counsellor", "medication", "budget", "flat", "rent", "transport", "training", "course", "exam",
        "wellbeing", "goal", "next", "step", "call", "message", "visit", "plan", "workshop", "carpentry",
        "retail", "warehouse", "driving", "licence", "gym", "music", "gaming", "cooking", "volunteer",
    ]
    /// The queries of the FTS phase, from a word in about a third of the notes to one in about 0.5 %.
    static let searchQueries = [
        "motivation", "placement", "housing", "psychiatry", "apprenticeship", "skateboard", "housing placement",
        "psych",
    ]
    static let tags = [
        "housing", "placement", "education-ready", "health", "family", "economy", "job", "school", "leisure",
        "substance", "crime", "anxiety",
    ]
    static let places = [
        "job centre", "vocational school", "home", "café", "park", "library", "phone", "bus station", "youth club",
        "psychiatry clinic", "employer's workshop", "walk by the harbour",
    ]
    /// 6 January 2025, 00:00 UTC: notes occur over the following year.
    static let firstDay = Date(timeIntervalSince1970: 1_736_121_600)

    let subjectReferences: [String]
    private let vocabulary: [String]
    private let cumulative: [Double]
    private var random: SeededGenerator
    private var produced = 0

    init(seed: UInt64, subjects: Int) {
        subjectReferences = (1...subjects).map { String(format: "ung-%04d", $0) }
        vocabulary = Self.makeVocabulary()
        var running = 0.0
        cumulative = (1...Self.vocabularySize).map { rank in
            running += 1.0 / Double(rank)
            return running
        }
        random = SeededGenerator(seed: seed)
    }

    /// The next note; subjects take turns, so each holds the same number of notes.
    mutating func next() -> NewNote {
        let subject = subjectReferences[produced % subjectReferences.count]
        produced += 1
        let occurredAt = Self.firstDay.addingTimeInterval(Double(random.below(365 * 24 * 60)) * 60)
        var tags: Set<String> = []
        for _ in 0..<random.below(4) { tags.insert(Self.tags[random.below(Self.tags.count)]) }
        let followUp = random.unit() < 0.25 ? occurredAt.addingTimeInterval(14 * 86_400) : nil
        return NewNote(
            subjectReference: subject,
            kind: NoteKind.allCases[random.below(NoteKind.allCases.count)],
            occurredAt: occurredAt,
            place: Self.places[random.below(Self.places.count)],
            body: body(targetBytes: random.inRange(900...1_150)),
            tags: tags.sorted(),
            followUp: followUp
        )
    }

    private mutating func body(targetBytes: Int) -> String {
        var text = ""
        text.reserveCapacity(targetBytes + 64)
        while text.utf8.count < targetBytes {
            let length = random.inRange(6...16)
            for position in 0..<length {
                let word = vocabulary[zipfRank()]
                if position == 0 {
                    if !text.isEmpty { text += " " }
                    text += word.prefix(1).uppercased() + word.dropFirst()
                } else {
                    text += " " + word
                }
            }
            text += "."
        }
        return text
    }

    private mutating func zipfRank() -> Int {
        let target = random.unit() * cumulative[cumulative.count - 1]
        var low = 0
        var high = cumulative.count - 1
        while low < high {
            let middle = (low + high) / 2
            if cumulative[middle] < target { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Anchored words at their ranks, domain words spread evenly, made-up pronounceable words everywhere else.
    private static func makeVocabulary() -> [String] {
        var words = [String?](repeating: nil, count: vocabularySize)
        var used = Set<String>()
        for (rank, word) in anchoredWords {
            words[rank] = word
            used.insert(word)
        }
        let step = vocabularySize / (domainWords.count + 1)
        for (index, word) in domainWords.enumerated() {
            var rank = 5 + index * step
            while words[rank] != nil { rank += 1 }
            words[rank] = word
            used.insert(word)
        }
        // Made-up words come from their own stream so the vocabulary never depends on the note seed.
        var random = SeededGenerator(seed: 0x5EED_0F_D1C7)
        let consonants = Array("bdfgklmnprstvj")
        let vowels = Array("aeiouy")
        for rank in words.indices where words[rank] == nil {
            var word = ""
            repeat {
                word = ""
                for _ in 0..<random.inRange(2...4) {
                    word.append(consonants[random.below(consonants.count)])
                    word.append(vowels[random.below(vowels.count)])
                }
                if random.unit() < 0.4 { word.append(consonants[random.below(consonants.count)]) }
            } while used.contains(word)
            used.insert(word)
            words[rank] = word
        }
        return words.map { $0! }
    }
}
