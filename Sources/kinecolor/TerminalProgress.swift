import Foundation
import KinecolorFiles
import KinecolorPipeline
import KinecolorShots
import Synchronization

/// Progress on stderr: a redrawn bar with frames, fps and ETA on a terminal, plain lines every few
/// seconds otherwise (logs, CI), nothing when quiet. Whatever its style, it tells the library to
/// stop once the user has interrupted (`Interruption`).
///
/// The encoder thread advances it while the caller's thread begins, ends and warns: its state
/// sits behind one lock.
final class TerminalProgress: ProgressObserver {
    enum Style: Sendable { case bar, lines, quiet }

    private struct State {
        var phase = ""
        var total: Int?
        /// What `total` counts: frames, or a sheet's shots.
        var unit = "frames"
        var start = Date()
        var lastDraw = Date.distantPast
        var current = 0
        var warned: Set<String> = []
    }

    let style: Style
    private let state = Mutex(State())
    private let cancelled: @Sendable () -> Bool

    /// `cancelled` says whether the user asked to stop (tests pass their own).
    init(style: Style, cancelled: @escaping @Sendable () -> Bool = { Interruption.isRequested }) {
        self.style = style
        self.cancelled = cancelled
    }

    /// Bar on a terminal, lines otherwise.
    static func automatic(quiet: Bool) -> TerminalProgress {
        TerminalProgress(style: quiet ? .quiet : (isatty(STDERR_FILENO) != 0 ? .bar : .lines))
    }

    var isCancelled: Bool { cancelled() }

    func begin(phase: String, total: Int?) {
        begin(phase: phase, total: total, unit: "frames")
    }

    func begin(phase: String, total: Int?, unit: String) {
        state.withLock { $0 = State(phase: phase, total: total, unit: unit, warned: $0.warned) }
    }

    func advance(to frames: Int) {
        state.withLock { state in
            state.current = frames
            let now = Date()
            let interval: TimeInterval = style == .bar ? 0.2 : 5
            guard style != .quiet, now.timeIntervalSince(state.lastDraw) >= interval else { return }
            state.lastDraw = now
            draw(state, final: false)
        }
    }

    func end() {
        guard style != .quiet else { return }
        state.withLock { draw($0, final: true) }
    }

    /// "warning: MESSAGE", once per distinct message: the analysis and the render pass read the
    /// same film and meet the same damage.
    func warn(_ message: String) {
        guard state.withLock({ $0.warned.insert(message).inserted }) else { return }
        note("warning: \(message)")
    }

    /// "[######------] 2/4 colorizing, 0:03" on a terminal, one line per step otherwise: a still's
    /// steps are few and long, and unequal, so there is no rate and no ETA to give. As lines, only
    /// once the job has taken a second: a small picture stays silent, and a bad one's error stays
    /// the only line.
    func step(_ name: String, _ index: Int, of count: Int) {
        guard style != .quiet else { return }
        let elapsed = state.withLock { state in
            if index == 1 { state.start = Date() }
            state.phase = name
            return Date().timeIntervalSince(state.start)
        }
        if style == .lines && elapsed < 1 { return }
        var text = "\(index)/\(count) \(name), " + Timecode.clock(seconds: elapsed)
        if style == .bar {
            let width = 24, filled = width * (index - 1) / max(count, 1)
            text = "\r\u{1B}[K[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "] " + text
        } else {
            text += "\n"
        }
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// The last step is done: "done in 0:10".
    func finishSteps() {
        guard style != .quiet else { return }
        let elapsed = state.withLock { Date().timeIntervalSince($0.start) }
        if style == .lines && elapsed < 1 { return }
        note("done in " + Timecode.clock(seconds: elapsed))
    }

    func note(_ message: String) {
        guard style != .quiet else { return }
        FileHandle.standardError.write(Data((style == .bar ? "\r\u{1B}[K" : "") .utf8))
        FileHandle.standardError.write(Data("\(message)\n".utf8))
    }

    private func draw(_ state: State, final: Bool) {
        let (phase, total, current, unit) = (state.phase, state.total, state.current, state.unit)
        let elapsed = max(Date().timeIntervalSince(state.start), 1e-6)
        let fps = Double(current) / elapsed
        var text = "\(phase): \(current)"
        if let total, total > 0 {
            let fraction = min(Double(current) / Double(total), 1)
            text += "/\(total) \(unit)"
            if style == .bar {
                let width = 24, filled = Int(fraction * Double(width))
                text = "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "] " + text
            }
            text += String(format: " %3.0f%%", fraction * 100)
            if !final && fps > 0 && current < total {
                text += ", ETA " + Timecode.clock(seconds: Double(total - current) / fps)
            }
        } else {
            text += " \(unit)"
        }
        text += unit == "frames" ? String(format: ", %.1f fps", fps) : String(format: ", %.1f \(unit)/s", fps)
        if final { text += ", " + Timecode.clock(seconds: elapsed) }
        let line = style == .bar ? "\r\u{1B}[K" + text + (final ? "\n" : "") : text + "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }
}
