import Foundation
import KinecolorFiles
import KinecolorMedia
import KinecolorPipeline

/// The render of the whole film started from the page: the same resumable segmented render as
/// `kinecolor render` (same work folder, same segments), on a thread of its own with a model of
/// its own, one at a time. Stopping it, or the server, abandons only the shot in progress.
final class FilmRenderJob: ProgressObserver, @unchecked Sendable {
    enum State: String { case idle, running, done, failed, stopped }

    let opener: RenderOpener
    let output: URL
    private let lock = NSLock()
    /// Held while segments are written: by the film's render, or by a review clip.
    private let segments = NSLock()
    private var state = State.idle
    private var phase = ""
    private var done = 0
    private var total: Int?
    private var phaseStart = Date()
    private var message = ""
    private var stopRequested = false

    init(opener: @escaping RenderOpener, output: URL) {
        self.opener = opener
        self.output = output
    }

    /// Starts the render; refuses a second one, and an existing output without `overwrite`.
    func start(overwrite: Bool) throws {
        try lock.withLock {
            guard state != .running else { throw ReviewError(.conflict, "a render is already running") }
            do {
                try AtomicFile.checkDestination(output, overwrite: overwrite)
            } catch let error as FileError where error.kind == .alreadyExists {
                throw ReviewError(.conflict, "\(output.lastPathComponent) exists; render again to replace it", exists: true)
            } catch {
                throw ReviewError(.conflict, "\(error)")
            }
            state = .running
            phase = "opening"
            done = 0
            total = nil
            message = ""
            stopRequested = false
        }
        Thread.detachNewThread { self.run(overwrite: overwrite) }
    }

    private func run(overwrite: Bool) {
        segments.lock()
        defer { segments.unlock() }
        do {
            let render = try opener()
            try render.renderSegments(nil, progress: self)
            try render.assemble(output: output, encode: EncodeOptions(), overwrite: overwrite, progress: self)
            render.removeStaleSegments()
            finish(.done, "wrote \(output.lastPathComponent)")
        } catch is Interrupted {
            finish(.stopped, "stopped; the shots already rendered are kept")
        } catch {
            finish(.failed, "\(error)")
        }
    }

    private func finish(_ end: State, _ text: String) {
        lock.withLock {
            state = end
            message = text
        }
    }

    func stop() {
        lock.withLock { if state == .running { stopRequested = true } }
    }

    /// Runs `body` unless the film is being rendered (its segments would be written twice); nil then.
    func withSegments<T>(_ body: () throws -> T) throws -> T? {
        guard segments.try() else { return nil }
        defer { segments.unlock() }
        return try body()
    }

    var isRunning: Bool { lock.withLock { state == .running } }

    /// For `GET /api/status`.
    var snapshot: [String: Any] {
        lock.withLock {
            var out: [String: Any] = ["state": state.rawValue, "phase": phase, "done": done, "message": message,
                                      "output": output.lastPathComponent]
            out["total"] = total ?? NSNull()
            let elapsed = Date().timeIntervalSince(phaseStart)
            if state == .running, let total, done > 0, elapsed > 1 {
                out["eta_seconds"] = (elapsed / Double(done) * Double(total - done) * 10).rounded() / 10
            } else {
                out["eta_seconds"] = NSNull()
            }
            return out
        }
    }

    // MARK: ProgressObserver

    func begin(phase name: String, total count: Int?) {
        lock.withLock {
            phase = name
            total = count
            done = 0
            phaseStart = Date()
        }
    }

    func advance(to frames: Int) { lock.withLock { done = frames } }
    func end() {}
    func warn(_ text: String) { lock.withLock { message = text } }
    var isCancelled: Bool { lock.withLock { stopRequested } }
}
