import Foundation

/// The language fieldcli speaks to a person: Danish or English.
///
/// Chosen from the locale as POSIX does for messages: the first of `LC_ALL`, `LC_MESSAGES` and `LANG` that is set
/// and not empty wins, so `LC_ALL=C` overrides `LANG=da_DK.UTF-8`. A Danish locale (`da`, `da_DK.UTF-8`,
/// `da_DK@euro`) gives Danish; anything else, or none, gives English. ArgumentParser's own help and usage text
/// stay English.
enum Language: Sendable, Equatable {
    case english
    case danish

    /// The language of this process, read once from its environment.
    static let current = Language(environment: ProcessInfo.processInfo.environment)

    /// The language a locale environment asks for.
    init(environment: [String: String]) {
        let locale = ["LC_ALL", "LC_MESSAGES", "LANG"].lazy.compactMap { environment[$0] }.first { !$0.isEmpty }
        self = locale.map(Language.init(locale:)) ?? .english
    }

    /// The language of a locale name such as `da_DK.UTF-8`: its part before `_`, `.` or `@`.
    init(locale: String) {
        let code = locale.prefix { $0 != "_" && $0 != "." && $0 != "@" && $0 != "-" }.lowercased()
        self = code == "da" ? .danish : .english
    }
}
