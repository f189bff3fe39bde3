// bench-simulation: the simulator's headline run (devices x operations, in-memory devices, standard faults, the
// shipped server over SQLite) with the classic workload and with the scopes workload (version 2: shares, unshares,
// handovers, access that ends), same seed, one after the other in this process; prints both and the ratio.
//
//   swift build -c release --product bench-simulation && .build/release/bench-simulation [DEVICES] [OPS] [SEED]
import Foundation
import SyncSimulator

let arguments = Array(CommandLine.arguments.dropFirst())
let devices = arguments.count > 0 ? Int(arguments[0]) ?? 1_000 : 1_000
let operations = arguments.count > 1 ? Int(arguments[1]) ?? 100 : 100
let seed = arguments.count > 2 ? UInt64(arguments[2]) ?? 1 : 1

var rows: [(Workload, BenchmarkRow)] = []
for workload in [Workload.classic, .scopes] {
    FileHandle.standardError.write(Data("[bench-simulation] \(devices) x \(operations), \(workload.rawValue)\n".utf8))
    let row = try await SimulationBenchmark.measure(
        devices: devices, operations: operations, seed: seed, encodeMessages: false, workload: workload)
    rows.append((workload, row))
    print(
        String(
            format: "%@: %d devices x %d ops, seed %llu: %d operations, %d syncs, %d messages, %.1f virtual h, "
                + "wall %.1f s, oracle %@",
            workload.rawValue, row.devices, row.operationsPerDevice, seed, row.operations, row.syncs, row.messages,
            row.virtualHours, row.wallSeconds, row.passed ? "passed" : "FAILED"))
}
if rows.count == 2, rows[0].1.wallSeconds > 0 {
    print(String(format: "scopes / classic wall time: %.2fx", rows[1].1.wallSeconds / rows[0].1.wallSeconds))
}
