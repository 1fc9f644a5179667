import Foundation
import Synchronization

/// Set when the user interrupts (Ctrl-C, SIGTERM). Long loops check it between frames and stop
/// by throwing, so every output in progress is cancelled and its temporary file removed.
public enum Cancellation {
    private static let signalNumber = Mutex<Int32?>(nil)

    public static var isRequested: Bool { signal != nil }

    /// The signal that asked to stop (SIGINT, SIGTERM), if any.
    public static var signal: Int32? { signalNumber.withLock { $0 } }

    public static func request(signal: Int32 = SIGINT) {
        signalNumber.withLock { if $0 == nil { $0 = signal } }
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
