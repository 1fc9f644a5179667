import Foundation
import KinecolorMedia
import KinecolorModel
@testable import KinecolorPipeline
import Synchronization
import XCTest

/// Records what the library reports, and asks it to stop once `stopAfter` frames of the
/// "colorizing" phase are done.
final class RecordingObserver: ProgressObserver {
    struct Log {
        var phases: [(name: String, total: Int?)] = []
        var lastAdvance = 0
        var ends = 0
        var warnings: [String] = []
    }

    let log = Mutex(Log())
    let stopAfter: Int?

    init(stopAfter: Int? = nil) { self.stopAfter = stopAfter }

    func begin(phase: String, total: Int?) { log.withLock { $0.phases.append((phase, total)); $0.lastAdvance = 0 } }
    func advance(to frames: Int) { log.withLock { $0.lastAdvance = frames } }
    func end() { log.withLock { $0.ends += 1 } }
    func warn(_ message: String) { log.withLock { $0.warnings.append(message) } }

    var isCancelled: Bool {
        guard let stopAfter else { return false }
        return log.withLock { $0.phases.last?.name == "colorizing" && $0.lastAdvance >= stopAfter }
    }
}

extension PipelineTests {
    func testAnObserverFollowsEveryPhase() throws {
        let clip = file("clip.mkv")
        try makeClip(clip, shots: [10, 14])
        let observer = RecordingObserver()
        let options = ColorizeOptions(classChoice: "3", seed: 5, smoothing: 2, size: 64)
        let analysis = try FilmAnalysis.analyze(clip, progress: observer)
        let shots = try options.shotSettings(for: analysis, network: model)
        try FilmRenderer(network: model, shots: shots, options: options)
            .render(input: clip, output: file("out.mkv"), encode: EncodeOptions(codec: .ffv1), overwrite: false, progress: observer)
        let log = observer.log.withLock { $0 }
        XCTAssertEqual(log.phases.map(\.name), ["analysing", "colorizing"])
        XCTAssertEqual(log.phases[1].total, 24)
        XCTAssertEqual(log.lastAdvance, 24)
        XCTAssertEqual(log.ends, 2)
    }

    /// The library stops when its observer says so, throws `Interrupted`, and leaves no output
    /// or temporary file behind.
    func testAnObserverCanStopARender() throws {
        let clip = file("clip.mkv")
        try makeClip(clip, shots: [30])
        let options = ColorizeOptions(classChoice: "3", seed: 5, smoothing: 2, size: 64)
        let shots = try options.shotSettings(for: try FilmAnalysis.analyze(clip), network: model)
        let observer = RecordingObserver(stopAfter: 3)
        XCTAssertThrowsError(try FilmRenderer(network: model, shots: shots, options: options)
            .render(input: clip, output: file("out.mkv"), encode: EncodeOptions(codec: .ffv1), overwrite: false,
                    progress: observer)) { error in
            XCTAssertTrue(error is Interrupted, "\(error)")
        }
        XCTAssertLessThan(observer.log.withLock { $0.lastAdvance }, 30)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["clip.mkv"])
    }

    /// The settings and the class choice are refused with typed errors that name no flag: the
    /// command line and project files each say it their own way.
    func testRefusalsAreTypedErrors() throws {
        XCTAssertThrowsError(try ColorizeOptions(size: 24).validate()) { XCTAssertEqual($0 as? SettingError, .size(24)) }
        XCTAssertThrowsError(try ColorizeOptions(saturation: 5).validate()) { XCTAssertEqual($0 as? SettingError, .saturation(5)) }
        XCTAssertThrowsError(try ColorizeOptions(smoothing: 30).validate()) { XCTAssertEqual($0 as? SettingError, .smoothing(30)) }
        let video = VideoStreamInfo(width: 96, height: 64, timeBase: Rational(1, 25), frameRate: Rational(25, 1))
        XCTAssertThrowsError(try FrameColorizer(video: video, size: 100)) { XCTAssertEqual($0 as? SettingError, .size(100)) }

        let clip = file("clip.mkv")
        try makeClip(clip, shots: [8])
        XCTAssertFalse(model.hasClassEstimate, "the test model has no class head")
        XCTAssertThrowsError(try ColorizeOptions(classChoice: "auto").shotSettings(for: try FilmAnalysis.analyze(clip), network: model)) {
            XCTAssertEqual($0 as? ClassNeeded, ClassNeeded(model: model.name))
            XCTAssertFalse("\($0)".contains("--"), "\($0)")
        }
    }
}
