/// A priority queue of timed events: earliest time first, and among equal times the one scheduled
/// first, so the order never depends on anything but the schedule itself.
struct EventQueue<Event> {
    private struct Entry {
        var time: Int64
        var sequence: UInt64
        var event: Event

        func precedes(_ other: Entry) -> Bool {
            time != other.time ? time < other.time : sequence < other.sequence
        }
    }

    private var heap: [Entry] = []
    private var nextSequence: UInt64 = 0

    /// How many events wait.
    var count: Int { heap.count }

    /// Whether no event waits.
    var isEmpty: Bool { heap.isEmpty }

    /// The time of the earliest event.
    var nextTime: Int64? { heap.first?.time }

    /// Adds `event` at virtual time `time` (milliseconds).
    mutating func schedule(_ event: Event, at time: Int64) {
        heap.append(Entry(time: time, sequence: nextSequence, event: event))
        nextSequence += 1
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest event.
    mutating func pop() -> (time: Int64, event: Event)? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let entry = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count && heap[left].precedes(heap[smallest]) { smallest = left }
            if right < heap.count && heap[right].precedes(heap[smallest]) { smallest = right }
            if smallest == parent { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return (entry.time, entry.event)
    }
}
