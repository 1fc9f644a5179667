import Foundation

/// Watches a long job (an analysis pass, a render, an assembly) and may ask it to stop.
///
/// The library reports what it does through this and draws nothing itself; a front end decides
/// how progress looks and when the user has asked to stop (the `kinecolor` command: a bar on a
/// terminal, and Ctrl-C). A render's encoder thread calls `advance` while the caller's thread
/// calls the rest, so conformers are `Sendable`.
public protocol ProgressObserver: Sendable {
    /// A new phase ("analysing", "colorizing", …) of `total` frames, when known.
    func begin(phase: String, total: Int?)
    /// The same, counting `unit` instead of frames (a sheet's shots, a grid's candidates).
    func begin(phase: String, total: Int?, unit: String)
    /// `frames` frames of the phase are done.
    func advance(to frames: Int)
    /// The phase is complete.
    func end()
    /// Something the user should know that does not stop the job (a damaged packet, an early end).
    func warn(_ message: String)
    /// A job of a few long steps rather than frames (a still): step `index` (1-based) of
    /// `count`, named, starts now.
    func step(_ name: String, _ index: Int, of count: Int)
    /// Asked between frames: when true, the job stops by throwing `Interrupted`, and every output
    /// in progress is cancelled and its temporary file removed.
    var isCancelled: Bool { get }
}

extension ProgressObserver {
    public var isCancelled: Bool { false }
    public func step(_ name: String, _ index: Int, of count: Int) {}
    public func begin(phase: String, total: Int?, unit: String) { begin(phase: phase, total: total) }
}

/// The observer asked the job to stop; outputs in progress were removed.
public struct Interrupted: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "interrupted; nothing was written" }
}

/// Throws `Interrupted` when `observer` asks to stop; long loops call it between frames.
func stopIfCancelled(_ observer: (any ProgressObserver)?) throws {
    if observer?.isCancelled == true { throw Interrupted() }
}
