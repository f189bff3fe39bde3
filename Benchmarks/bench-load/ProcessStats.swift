import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What Linux tells about the machine and a process, read from `/proc` (zero or `nil` elsewhere).
enum ProcessStats {
    /// The 1, 5 and 15 minute load averages.
    static func loadAverage() -> [Double] {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return [] }
        return text.split(separator: " ").prefix(3).compactMap { Double($0) }
    }

    /// Busy and total CPU ticks of the whole machine so far (all cores), from the first line of `/proc/stat`.
    static func machineTicks() -> (busy: Double, total: Double)? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let line = text.split(separator: "\n").first, line.hasPrefix("cpu ")
        else { return nil }
        let ticks = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard ticks.count >= 5 else { return nil }
        // user nice system idle iowait irq softirq steal ...: idle and iowait are the not-busy ones.
        let total = ticks.prefix(8).reduce(0, +)
        return (total - ticks[3] - ticks[4], total)
    }

    /// The share of all cores that was busy between two `machineTicks()` readings (0...1).
    static func busyShare(
        from before: (busy: Double, total: Double)?, to after: (busy: Double, total: Double)?
    )
        -> Double?
    {
        guard let before, let after, after.total > before.total else { return nil }
        return (after.busy - before.busy) / (after.total - before.total)
    }

    /// The number of cores this process may use.
    static var cores: Int { ProcessInfo.processInfo.activeProcessorCount }

    /// CPU time (user + system) a process has used so far, in seconds.
    static func cpuSeconds(pid: Int32) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return ticks > 0 ? (user + system) / ticks : nil
    }

    /// CPU time so far of every process whose command name is `command` (e.g. PostgreSQL's `postgres`
    /// backends), by process id.
    static func cpuSecondsByProcess(named command: String) -> [Int32: Double] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [:] }
        var result: [Int32: Double] = [:]
        for entry in entries {
            guard let pid = Int32(entry),
                let name = try? String(contentsOfFile: "/proc/\(entry)/comm", encoding: .utf8),
                name.trimmingCharacters(in: .whitespacesAndNewlines) == command,
                let seconds = cpuSeconds(pid: pid)
            else { continue }
            result[pid] = seconds
        }
        return result
    }

    /// CPU time the processes named `command` used between two snapshots; processes that started in between
    /// count from zero (those that ended in between are lost, which the pool's long-lived connections avoid).
    static func cpuSeconds(from before: [Int32: Double], to after: [Int32: Double]) -> Double {
        after.reduce(0) { sum, entry in sum + max(0, entry.value - (before[entry.key] ?? 0)) }
    }

    /// CPU time this process has used so far, in seconds.
    static func ownCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Peak resident memory of a process, in MiB (`VmHWM`).
    static func peakResidentMiB(pid: Int32) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kilobytes = line.split(separator: " ").dropFirst().first.flatMap { Double($0) }
            return kilobytes.map { $0 / 1024 }
        }
        return nil
    }
}
