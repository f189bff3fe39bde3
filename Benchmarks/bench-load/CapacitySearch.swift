/// Which number of devices the capacity search tries next: from `start`, doubling while steps pass (up to
/// `maximum`); after the first fail, halving while steps fail (down to one device); then bisecting between the
/// highest pass and the lowest fail, for at most `bisectSteps` steps or until they are within 5 % of each other.
///
/// Doubling finds the order of magnitude in a few steps; each bisection halves the uncertainty that is left.
/// Latency does not fall as devices are added, so one step per N is enough (no repeats).
struct CapacitySearch: Sendable {
    let start: Int
    let maximum: Int
    let bisectSteps: Int
    private(set) var highestPass: Int?
    private(set) var lowestFail: Int?
    private(set) var bisections = 0

    init(start: Int, maximum: Int, bisectSteps: Int) {
        self.maximum = max(1, maximum)
        self.start = min(max(1, start), self.maximum)
        self.bisectSteps = bisectSteps
    }

    /// The devices of the next step, `nil` when the search is over.
    var next: Int? {
        switch (highestPass, lowestFail) {
        case (nil, nil):
            return start
        case (let pass?, nil):
            return pass >= maximum ? nil : min(pass * 2, maximum)
        case (nil, let fail?):
            return fail <= 1 ? nil : fail / 2
        case (let pass?, let fail?):
            guard bisections < bisectSteps, fail - pass > max(1, pass / 20) else { return nil }
            return (pass + fail) / 2
        }
    }

    /// Whether the search stopped at `maximum` with every step passing: the capacity is at least that.
    var reachedMaximum: Bool { highestPass == maximum }

    /// Records a step's outcome.
    mutating func record(devices: Int, passed: Bool) {
        if highestPass != nil && lowestFail != nil { bisections += 1 }
        if passed {
            highestPass = max(highestPass ?? 0, devices)
        } else {
            lowestFail = min(lowestFail ?? .max, devices)
        }
    }
}
