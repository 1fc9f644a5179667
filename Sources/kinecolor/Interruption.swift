import Foundation
import Synchronization

/// Set by the signal handler in main.swift when the user interrupts (Ctrl-C, SIGTERM). Every
/// `TerminalProgress` hands it to the library as its `isCancelled`: long loops check it between
/// frames and stop by throwing, so every output in progress is cancelled and its temporary file
/// removed.
enum Interruption {
    private static let signalNumber = Mutex<Int32?>(nil)

    static var isRequested: Bool { signal != nil }

    /// The signal that asked to stop (SIGINT, SIGTERM), if any.
    static var signal: Int32? { signalNumber.withLock { $0 } }

    static func request(signal: Int32 = SIGINT) {
        signalNumber.withLock { if $0 == nil { $0 = signal } }
    }
}
