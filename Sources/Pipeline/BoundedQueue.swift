import Foundation
import Synchronization

/// A blocking FIFO with a capacity, between two pipeline stages running on their own threads.
/// The capacity is what bounds memory: a fast decoder waits for a slow network.
///
/// Unchecked Sendable: every stored property is read and written only with `condition` locked
/// (a condition variable, which `Synchronization.Mutex` does not offer).
final class BoundedQueue<Element: Sendable>: @unchecked Sendable {
    private var items: [Element] = []
    private let capacity: Int
    private let condition = NSCondition()
    private var closed = false

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Blocks while full. Returns false if the queue was closed (the consumer gave up).
    @discardableResult
    func push(_ item: Element) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while items.count >= capacity && !closed { condition.wait() }
        guard !closed else { return false }
        items.append(item)
        condition.broadcast()
        return true
    }

    /// Blocks while empty. nil once the queue is closed and drained.
    func pop() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && !closed { condition.wait() }
        guard !items.isEmpty else { return nil }
        let item = items.removeFirst()
        condition.broadcast()
        return item
    }

    /// No more items will come (producer finished), or stop everything (consumer failed).
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}

/// Runs `body` on a new thread; `join` waits for it and rethrows its error.
final class StageThread: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let error = Mutex<(any Error)?>(nil)

    init(name: String, _ body: @escaping @Sendable () throws -> Void) {
        let thread = Thread { [self] in
            do { try body() } catch let failure { error.withLock { $0 = failure } }
            done.signal()
        }
        thread.name = name
        thread.stackSize = 8 << 20
        thread.start()
    }

    func join() throws {
        done.wait()
        if let error = error.withLock({ $0 }) { throw error }
    }

    /// Waits, and gives the stage's own error (nil when it ended normally or only stopped
    /// because another stage closed its queue).
    func joinedError() -> Error? {
        done.wait()
        let error = error.withLock { $0 }
        return error is StageStopped ? nil : error
    }
}

/// An object that one stage thread uses alone while it runs, and its creator again after
/// `join()`: the thread's start and join order every access, which the type system cannot see.
struct Handover<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// Thrown by a stage whose neighbour closed the queue between them: the neighbour's error, not
/// this one, says what went wrong.
struct StageStopped: Error {}
