import Foundation

/// Parses the dates and times people type: `now`, `today`, `yesterday`, `tomorrow`, `14:30` (today),
/// `2026-11-23`, `2026-11-23 14:30`, `2026-11-23T14:30:00Z`, and offsets such as `-2h`, `-90m`, `+14d`, `+2w`.
/// Times without a zone are local time.
enum DateParsing {
    static func parse(_ text: String, now: Date = Date(), calendar: Calendar = .current) -> Date? {
        let input = text.trimmingCharacters(in: .whitespaces).lowercased()
        let startOfToday = calendar.startOfDay(for: now)
        switch input {
        case "now": return now
        case "today": return startOfToday
        case "yesterday": return calendar.date(byAdding: .day, value: -1, to: startOfToday)
        case "tomorrow": return calendar.date(byAdding: .day, value: 1, to: startOfToday)
        default: break
        }
        if let offset = parseOffset(input, now: now, calendar: calendar) { return offset }
        if let time = parseClockTime(input, on: startOfToday, calendar: calendar) { return time }
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime]
        if let date = iso.date(from: text) { return date }
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = iso.date(from: text) { return date }
        for format in ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm",
                       "yyyy-MM-dd"] {
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
              (0..<24).contains(hour), (0..<60).contains(minute) else { return nil }
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
