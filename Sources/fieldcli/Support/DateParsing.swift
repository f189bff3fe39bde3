import Foundation

/// Parses the dates and times people type: `now`, `today`, `yesterday`, `tomorrow` (and `i dag`, `i går`,
/// `i morgen`), weekday names in English or Danish (`monday`, `mon`, `mandag`: the next such day), `14:30` (today),
/// day-first dates as Danes write them (`3/12`, `3.12`, `3.12.2026`: the next such date when no year is given),
/// `2026-11-23`, `2026-11-23 14:30`, `2026-11-23T14:30:00Z`, and offsets such as `-2h`, `-90m`, `+14d`, `+2w`.
/// Times without a zone are local time.
enum DateParsing {
    static func parse(_ text: String, now: Date = Date(), calendar: Calendar = .current) -> Date? {
        let input = text.trimmingCharacters(in: .whitespaces).lowercased()
        let startOfToday = calendar.startOfDay(for: now)
        switch input {
        case "now", "nu": return now
        case "today", "i dag", "idag": return startOfToday
        case "yesterday", "i går", "igår": return calendar.date(byAdding: .day, value: -1, to: startOfToday)
        case "tomorrow", "i morgen", "imorgen": return calendar.date(byAdding: .day, value: 1, to: startOfToday)
        default: break
        }
        if let day = parseWeekday(input, today: startOfToday, calendar: calendar) { return day }
        if let day = parseDayFirst(input, today: startOfToday, calendar: calendar) { return day }
        if let offset = parseOffset(input, now: now, calendar: calendar) { return offset }
        if let time = parseClockTime(input, on: startOfToday, calendar: calendar) { return time }
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime]
        if let date = iso.date(from: text) { return date }
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = iso.date(from: text) { return date }
        for format in [
            "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm",
            "yyyy-MM-dd",
        ] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.calendar = calendar
            formatter.timeZone = calendar.timeZone
            formatter.dateFormat = format
            formatter.isLenient = false
            if let date = formatter.date(from: text.trimmingCharacters(in: .whitespaces)) { return date }
        }
        return nil
    }

    /// Weekday names, in the order of `Calendar`'s weekday numbers (1 = Sunday).
    private static let weekdays: [[String]] = [
        ["sunday", "sun", "søndag", "søn"], ["monday", "mon", "mandag", "man"], ["tuesday", "tue", "tirsdag", "tir"],
        ["wednesday", "wed", "onsdag", "ons"], ["thursday", "thu", "torsdag", "tor"],
        ["friday", "fri", "fredag", "fre"],
        ["saturday", "sat", "lørdag", "lør"],
    ]

    /// A weekday name: the next such day (a week ahead when it is today's name).
    private static func parseWeekday(_ input: String, today: Date, calendar: Calendar) -> Date? {
        guard let index = weekdays.firstIndex(where: { $0.contains(input) }) else { return nil }
        let current = calendar.component(.weekday, from: today)
        var ahead = (index + 1 - current + 7) % 7
        if ahead == 0 { ahead = 7 }
        return calendar.date(byAdding: .day, value: ahead, to: today)
    }

    /// `3/12`, `3.12`, `03.12.2026`, `3/12-26`: day first. Without a year, the next such date from today on.
    private static func parseDayFirst(_ input: String, today: Date, calendar: Calendar) -> Date? {
        let parts = input.split(whereSeparator: { $0 == "/" || $0 == "." || $0 == "-" }).map(String.init)
        guard (2...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }),
            parts[0].count <= 2, parts[1].count <= 2, let day = Int(parts[0]), let month = Int(parts[1]),
            (1...31).contains(day), (1...12).contains(month)
        else { return nil }
        var components = DateComponents(month: month, day: day)
        if parts.count == 3 {
            guard let year = Int(parts[2]), parts[2].count == 2 || parts[2].count == 4 else { return nil }
            components.year = parts[2].count == 2 ? 2000 + year : year
        } else {
            components.year = calendar.component(.year, from: today)
        }
        guard var date = calendar.date(from: components),
            calendar.component(.day, from: date) == day  // 31/2 is not a date
        else { return nil }
        if parts.count == 2 && date < today {
            components.year = (components.year ?? 0) + 1
            date = calendar.date(from: components) ?? date
        }
        return date
    }

    private static func parseOffset(_ input: String, now: Date, calendar: Calendar) -> Date? {
        guard let sign = input.first, sign == "+" || sign == "-", input.count >= 3,
            let unit = input.last, let amount = Int(input.dropFirst().dropLast()), amount >= 0, amount < 100_000
        else { return nil }
        let value = sign == "-" ? -amount : amount
        switch unit {
        case "m": return calendar.date(byAdding: .minute, value: value, to: now)
        case "h": return calendar.date(byAdding: .hour, value: value, to: now)
        case "d": return calendar.date(byAdding: .day, value: value, to: now)
        case "w": return calendar.date(byAdding: .day, value: 7 * value, to: now)
        default: return nil
        }
    }

    private static func parseClockTime(_ input: String, on day: Date, calendar: Calendar) -> Date? {
        let parts = input.split(separator: ":")
        guard parts.count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]),
            (0..<24).contains(hour), (0..<60).contains(minute)
        else { return nil }
        return calendar.date(bySettingHour: hour, minute: minute, second: 0, of: day)
    }

    /// A local date and time as people read it: `2026-11-23 14:30`.
    static func display(_ date: Date, calendar: Calendar = .current) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = calendar.timeZone
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: date)
    }

    /// A local date: `2026-11-23`.
    static func displayDay(_ date: Date, calendar: Calendar = .current) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = calendar.timeZone
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.string(from: date)
    }
}
