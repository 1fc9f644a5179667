import Foundation
import KinecolorFiles
import KinecolorMedia
import KinecolorPipeline

/// The render started from the page, of the whole film or of the shots marked on it: the same
/// resumable segmented render as `kinecolor render` (same work folder, same segments), on a thread
/// of its own with a model of its own, one at a time. Stopping it, or the server, abandons only the
/// shot in progress.
final class FilmRenderJob: ProgressObserver, @unchecked Sendable {
    enum State: String { case idle, running, done, failed, stopped }

    let opener: RenderOpener
    let output: URL
    /// Where marked shots go, as `render --shots` writes them: one clip, with their audio.
    let markedOutput: URL
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
    /// The file the current (or last) render writes, and how many shots it has; nil: the whole film.
    private var target: URL
    private var shotCount: Int?

    init(opener: @escaping RenderOpener, output: URL) {
        self.opener = opener
        self.output = output
        let ext = output.pathExtension
        markedOutput = output.deletingLastPathComponent().appendingPathComponent(
            output.deletingPathExtension().lastPathComponent + "-marked" + (ext.isEmpty ? "" : ".\(ext)"))
        target = output
    }

    /// Starts the render of the film, or of `shots` (0-based, sorted) into `markedOutput`; refuses a
    /// second one, and an existing output without `overwrite`.
    func start(overwrite: Bool, shots: [Int]? = nil) throws {
        let file = shots == nil ? output : markedOutput
        try lock.withLock {
            guard state != .running else { throw ReviewError(.conflict, "a render is already running") }
            do {
                try AtomicFile.checkDestination(file, overwrite: overwrite)
            } catch let error as FileError where error.kind == .alreadyExists {
                throw ReviewError(.conflict, "\(file.lastPathComponent) exists; render again to replace it", exists: true)
            } catch {
                throw ReviewError(.conflict, "\(error)")
            }
            state = .running
            phase = "opening"
            done = 0
            total = nil
            message = ""
            stopRequested = false
            target = file
            shotCount = shots?.count
        }
        Thread.detachNewThread { self.run(overwrite: overwrite, into: file, shots: shots) }
    }

    private func run(overwrite: Bool, into file: URL, shots: [Int]?) {
        segments.lock()
        defer { segments.unlock() }
        do {
            let render = try opener()
            try render.renderSegments(shots, progress: self)
            try render.assemble(output: file, encode: EncodeOptions(), overwrite: overwrite, only: shots, progress: self)
            // Only a render of the whole film knows which segments no edit will ask for again.
            if shots == nil { render.removeStaleSegments() }
            finish(.done, "wrote \(file.lastPathComponent)")
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
                                      "output": target.lastPathComponent]
            out["total"] = total ?? NSNull()
            out["shots"] = shotCount ?? NSNull()
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
