import Foundation

/// Set when the user interrupts (Ctrl-C, SIGTERM). Long loops check it between frames and stop
/// by throwing, so every output in progress is cancelled and its temporary file removed.
public enum Cancellation {
    private static let lock = NSLock()
    // Guarded by `lock`.
    nonisolated(unsafe) private static var signalNumber: Int32?

    public static var isRequested: Bool { signal != nil }

    /// The signal that asked to stop (SIGINT, SIGTERM), if any.
    public static var signal: Int32? {
        lock.lock()
        defer { lock.unlock() }
        return signalNumber
    }

    public static func request(signal: Int32 = SIGINT) {
        lock.lock()
        if signalNumber == nil { signalNumber = signal }
        lock.unlock()
    }

    static func check() throws {
        if isRequested { throw Interrupted() }
    }
}

/// The user stopped the work; outputs in progress were removed. Commands exit with 128 + the
/// signal's number (130 for Ctrl-C, 143 for SIGTERM), as shell tools do.
public struct Interrupted: Error, CustomStringConvertible {
    public var description: String { "interrupted; nothing was written" }
}
