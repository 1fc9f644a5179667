import Foundation

/// Set when the user interrupts (Ctrl-C, SIGTERM). Long loops check it between frames and stop
/// by throwing, so every output in progress is cancelled and its temporary file removed.
public enum Cancellation {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var requested = false

    public static var isRequested: Bool {
        lock.lock()
        defer { lock.unlock() }
        return requested
    }

    public static func request() {
        lock.lock()
        requested = true
        lock.unlock()
    }

    static func check() throws {
        if isRequested { throw PipelineError("interrupted; nothing was written") }
    }
}
