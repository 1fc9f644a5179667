import Foundation
import KinecolorMedia
import KinecolorMotion
import KinecolorModel
@testable import KinecolorPipeline
import KinecolorShots
import XCTest

/// The film pipeline end to end, with the small random-weight test model: random chroma is fine
/// for plumbing; what is checked is what the pipeline promises whatever the model.
final class PipelineTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let sample = repo.appendingPathComponent("Samples/big-buck-bunny-gray.mp4")
    static let modelURL = repo.appendingPathComponent("Tests/ModelTests/Fixtures/tiny.safetensors")
    var directory: URL!
    var model: ColorizationModel!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("kinecolor-pipeline-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        model = try ColorizationModel(contentsOf: Self.modelURL)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func file(_ name: String) -> URL { directory.appendingPathComponent(name) }

    func frames(_ url: URL) throws -> [VideoFrame] {
        let reader = try MediaReader(url: url)
        var out: [VideoFrame] = []
        while let f = try reader.nextFrame() { out.append(f) }
        return out
    }

    func times(_ url: URL) throws -> [Double] {
        let reader = try MediaReader(url: url)
        var out: [Double] = []
        while let f = try reader.nextFrame() { out.append(reader.video.seconds(ofPTS: f.pts)) }
        return out
    }

    /// A small clip with hard cuts between synthetic shots (no audio), written with our own writer.
    /// `variant` changes the content of every shot after the first.
    func makeClip(_ url: URL, shots: [Int], variant: Int = 0, vfr: Bool = false) throws {
        let w = 96, h = 64
        let info = VideoStreamInfo(width: w, height: h, timeBase: Rational(1, 25), frameRate: Rational(25, 1))
        let writer = try MediaWriter(url: url, copyingStreamsFrom: nil, video: info, options: EncodeOptions(codec: .ffv1))
        var index = 0, pts: Int64 = 0
        for (s, length) in shots.enumerated() {
            for t in 0..<length {
                var y = [UInt16](repeating: 0, count: w * h)
                for r in 0..<h {
                    for c in 0..<w {
                        let v: Int
                        switch (s + (s > 0 ? variant : 0)) % 3 {
                        case 0: v = 30 + (c * 2 + t) % 180                             // a slowly moving ramp
                        case 1: v = ((r / 8 + c / 8 + t / 6) % 2 == 0) ? 200 : 40     // a checkerboard
                        default: v = 60 + (abs(r - 32) + abs(c - 48 + t)) * 2 % 150   // a diamond
                        }
                        y[r * w + c] = UInt16(v)
                    }
                }
                let step: Int64 = vfr ? Int64(1 + (index % 3)) : 1
                try writer.write(VideoFrame(width: w, height: h, y: y, pts: pts, duration: step, index: index))
                pts += step
                index += 1
            }
        }
        try writer.finish()
    }

    func render(_ input: URL, _ output: URL, smoothing: Int = 2, codec: EncodeOptions.Codec = .ffv1) throws -> [ShotSettings] {
        let options = ColorizeOptions(classChoice: "3", seed: 5, smoothing: smoothing, size: 64)
        let analysis = try FilmAnalysis.analyze(input)
        let shots = try options.shotSettings(for: analysis, network: model)
        try FilmRenderer(network: model, shots: shots, options: options)
            .render(input: input, output: output, encode: EncodeOptions(codec: codec), overwrite: false)
        return shots
    }

    /// Where frames of one shot go in a test: kept in memory.
    final class Collected: FrameSink {
        var frames: [VideoFrame] = []
        func write(_ frame: VideoFrame, shot: Int) throws { frames.append(frame) }
        func finish() throws {}
        func cancel() {}
    }

    /// Rendering one shot of a film (an edit) enters the film by seeking to it: the shot comes out
    /// as it does when everything before it is decoded.
    func testOneShotReachedBySeekingEqualsItReachedByDecoding() throws {
        let clip = file("cuts.mp4")
        let raw = file("cuts.mkv")
        try makeClip(raw, shots: [150, 40, 130], variant: 1)   // a ramp, a diamond, a ramp
        // An MP4 states its frame count, so it can be entered by seeking to a frame number.
        let reader = try MediaReader(url: raw)
        let writer = try MediaWriter(url: clip, copyingStreamsFrom: nil, video: reader.video,
                                     options: EncodeOptions(codec: .h264, crf: 18, preset: "veryfast"))
        while let f = try reader.nextFrame() { try writer.write(f) }
        try writer.finish()

        let options = ColorizeOptions(classChoice: "3", seed: 5, smoothing: 2, size: 64)
        let shots = try options.shotSettings(for: try FilmAnalysis.analyze(clip), network: model)
        XCTAssertEqual(shots.map(\.start), [0, 150, 190])
        func shot(_ k: Int, seeking: Bool) throws -> [VideoFrame] {
            let input = try MediaReader(url: clip)
            defer { input.close() }
            XCTAssertTrue(input.canSeek(frameCount: 320))
            let sink = Collected()
            try FilmRenderer(network: model, shots: shots, options: options)
                .run(input, into: sink, only: [k], seeking: seeking, progress: nil)
            // Seeking lands on the shot: the frames before it are never handed out, as decoding
            // from the start hands out every one of them; and none after the shot is read but the
            // one that shows it has ended.
            if seeking {
                XCTAssertLessThanOrEqual(input.framesRead, shots[k].count + 1, "shot \(k + 1) was not reached by seeking")
            } else {
                XCTAssertGreaterThanOrEqual(input.framesRead, shots[k].end)
                XCTAssertLessThanOrEqual(input.framesRead, shots[k].end + 1, "read on past shot \(k + 1)")
            }
            return sink.frames
        }
        for k in [1, 2] {
            let sought = try shot(k, seeking: true), decoded = try shot(k, seeking: false)
            XCTAssertEqual(sought.count, shots[k].count)
            XCTAssertEqual(sought.map(\.index), decoded.map(\.index))
            XCTAssertEqual(sought.map(\.pts), decoded.map(\.pts))
            XCTAssertTrue(zip(sought, decoded).allSatisfy { $0.y == $1.y && $0.u == $1.u && $0.v == $1.v }, "shot \(k + 1)")
        }
    }

    func testColorizeKeepsLumaTimestampsAndAudio() throws {
        let out = file("bunny.mkv")
        _ = try render(Self.sample, out)
        let a = try frames(Self.sample), b = try frames(out)
        XCTAssertEqual(a.count, b.count)
        for (x, y) in zip(a, b) {
            XCTAssertEqual(x.y, y.y, "luma of frame \(x.index) changed")
        }
        XCTAssertEqual(try times(Self.sample), try times(out))
        // Color was invented: chroma is no longer neutral.
        XCTAssertGreaterThan(b[60].u.filter { $0 != 128 }.count, b[60].u.count / 2)
        // Audio packets byte-identical.
        let da = try MediaProbe.packetDigests(of: Self.sample).map(\.md5), db = try MediaProbe.packetDigests(of: out).map(\.md5)
        XCTAssertFalse(da.isEmpty)
        XCTAssertEqual(da, db)
    }

    func testVariableFrameRateTimestampsSurvive() throws {
        let input = file("vfr.mkv"), out = file("vfr-color.mkv")
        try makeClip(input, shots: [20], vfr: true)
        _ = try render(input, out, codec: .h264)
        let t = try times(input)
        XCTAssertEqual(Set(zip(t.dropFirst(), t).map { (($0 - $1) * 1000).rounded() }).count, 3, "the test clip should be VFR")
        XCTAssertEqual(t, try times(out))
    }

    func testCutsAreFoundOnAConstructedClip() throws {
        let input = file("cuts.mkv")
        try makeClip(input, shots: [14, 12, 16])
        let analysis = try FilmAnalysis.analyze(input)
        XCTAssertEqual(analysis.shots.map(\.start), [0, 14, 26])
        XCTAssertEqual(analysis.frameCount, 42)
    }

    func testSmoothingNeverCrossesACut() throws {
        // Two films share their first shot and differ after the cut. With smoothing on, the first
        // shot's output must be identical in both: nothing after the cut may leak into it.
        let a = file("a.mkv"), b = file("b.mkv")
        try makeClip(a, shots: [14, 12], variant: 0)
        try makeClip(b, shots: [14, 12], variant: 1)
        let shotsA = try render(a, file("a-color.mkv"), smoothing: 4)
        let shotsB = try render(b, file("b-color.mkv"), smoothing: 4)
        XCTAssertEqual(shotsA.map(\.start), [0, 14])
        XCTAssertEqual(shotsB.map(\.start), [0, 14])
        let ca = try frames(file("a-color.mkv")), cb = try frames(file("b-color.mkv"))
        for i in 0..<14 {
            XCTAssertEqual(ca[i].u, cb[i].u, "frame \(i)")
            XCTAssertEqual(ca[i].v, cb[i].v, "frame \(i)")
        }
        XCTAssertNotEqual(ca[20].u, cb[20].u)
    }

    func testPreviewEqualsTheRenderedFrame() throws {
        let input = file("film.mkv")
        try makeClip(input, shots: [12, 15])
        for policy in [KeyframePolicy.all, .auto, .every(5)] {
            let out = file("film-color-\(policy).mkv")
            let options = ColorizeOptions(classChoice: "3", seed: 5, smoothing: 2, size: 64, keyframes: policy)
            let analysis = try FilmAnalysis.analyze(input, keyframesAtSize: policy == .auto ? 64 : nil)
            let shots = try options.shotSettings(for: analysis, network: model)
            try FilmRenderer(network: model, shots: shots, options: options)
                .render(input: input, output: out, encode: EncodeOptions(codec: .ffv1), overwrite: false)
            let rendered = try frames(out)
            for index in [0, 2, 7, 11, 12, 14, 19, 26] {
                let preview = try Stills.renderFrame(index, of: input, shots: shots, network: model, options: options)
                XCTAssertEqual(preview.y, rendered[index].y, "\(policy): frame \(index)")
                XCTAssertEqual(preview.u, rendered[index].u, "\(policy): frame \(index)")
                XCTAssertEqual(preview.v, rendered[index].v, "\(policy): frame \(index)")
            }
        }
    }

    func testEveryFrameOfAShotGetsTheSameClassAndZ() throws {
        let options = ColorizeOptions(classChoice: "3", seed: 9, smoothing: 0, size: 64)
        let input = file("z.mkv")
        try makeClip(input, shots: [10, 10])
        let shots = try options.shotSettings(for: try FilmAnalysis.analyze(input), network: model)
        XCTAssertEqual(shots.count, 2)
        // z comes from the seed alone, one for the film: these literal values (SplitMix64 +
        // Box–Muller, std 0.8, computed independently) are what every machine must produce, so a
        // render made on one node matches a render made on another.
        XCTAssertEqual(shots[0].z(count: 4), [0.4955310523509979, -0.2562900483608246, -0.10542377084493637, 1.4184919595718384])
        XCTAssertEqual(shots[1].z(count: 4), shots[0].z(count: 4))
        XCTAssertTrue(shots.allSatisfy { $0.classIndex == 3 })
    }

    /// Saturation scales the invented chroma about neutral and leaves luma alone; 0 gives gray.
    func testSaturationScalesChromaOnly() throws {
        let clip = file("clip.mkv")
        try makeClip(clip, shots: [6])
        let analysis = try FilmAnalysis.analyze(clip)
        func frame(_ saturation: Double) throws -> VideoFrame {
            let options = ColorizeOptions(classChoice: "3", seed: 5, smoothing: 0, size: 64, saturation: saturation)
            let shots = try options.shotSettings(for: analysis, network: model)
            return try Stills.renderFrame(2, of: clip, shots: shots, network: model, options: options)
        }
        let one = try frame(1), two = try frame(2), zero = try frame(0)
        XCTAssertEqual(one.y, zero.y)
        XCTAssertEqual(one.y, two.y)
        let mid = Int(one.neutralChroma)
        func spread(_ f: VideoFrame) -> Double { Double((f.u + f.v).map { abs(Int($0) - mid) }.reduce(0, +)) }
        XCTAssertLessThanOrEqual(spread(zero), Double(one.u.count))  // within rounding of neutral
        XCTAssertGreaterThan(spread(one), 2 * spread(zero) + 1)
        XCTAssertGreaterThan(spread(two), 1.3 * spread(one))
    }

}

final class ContactSheetTests: XCTestCase {
    func testSheetHasOneLabelledCellPerCandidate() throws {
        let repo = PipelineTests.repo
        let model = try ColorizationModel(contentsOf: PipelineTests.modelURL)
        let options = ColorizeOptions(classChoice: "3", seed: 0, smoothing: 1, size: 64)
        let url = repo.appendingPathComponent("Samples/big-buck-bunny-gray.mp4")
        let analysis = try FilmAnalysis.analyze(url)
        let shots = try options.shotSettings(for: analysis, network: model)
        let window = try FrameWindow(60, of: url, shots: shots, options: options)
        let sheet = try ContactSheet.render(window: window, classes: ["1", "2"], seeds: [1, 2, 3], classProbabilities: nil,
                                            network: model, options: options, title: "test")
        // 3 columns of 360-pixel cells (the frame is 640 wide) and 2 rows.
        XCTAssertEqual(sheet.width, 8 + 3 * (360 + 8))
        XCTAssertEqual(sheet.rgb.count, sheet.width * sheet.height * 3)
        // Candidates differ: the two rows (classes) and the columns (seeds) are not the same picture.
        let cellTop = 7 * 2 + 2 * 8 + 7 * 2 + 8 + 50
        func pixel(_ col: Int, _ row: Int) -> [UInt8] {
            let y = cellTop + row * (7 * 2 + 8 + 203 + 8), x = 8 + col * 368 + 100
            return Array(sheet.rgb[((y * sheet.width + x) * 3)..<((y * sheet.width + x) * 3 + 3)])
        }
        XCTAssertNotEqual(pixel(0, 0), pixel(1, 0))
        XCTAssertNotEqual(pixel(0, 0), pixel(0, 1))
        XCTAssertThrowsError(try ContactSheet.render(window: window, classes: ["auto"], seeds: nil, classProbabilities: nil,
                                                     network: model, options: options, title: "t"))
    }
}

final class ProjectTests: XCTestCase {
    func testProjectRoundTripAndRenderSettings() throws {
        let model = try ColorizationModel(contentsOf: PipelineTests.modelURL)
        let url = PipelineTests.sample
        let options = ColorizeOptions(classChoice: "2", seed: 4, smoothing: 2, size: 64)
        let analysis = try FilmAnalysis.analyze(url)
        let shots = try options.shotSettings(for: analysis, network: model)
        let project = try Project(input: url, videoStream: nil, analysis: analysis, shots: shots, options: options,
                                  modelPath: PipelineTests.modelURL.path, network: model)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("kc-\(UUID().uuidString).kcproj.json")
        defer { try? FileManager.default.removeItem(at: file) }
        try project.save(to: file, overwrite: false)
        let loaded = try Project.load(file)
        XCTAssertEqual(loaded, project)
        // Rendering the project uses exactly the settings colorize would.
        XCTAssertEqual(try loaded.shotSettings(network: model), shots)
        XCTAssertEqual(loaded.options.smoothing, 2)
        XCTAssertNoThrow(try loaded.checkInput(url))
        XCTAssertThrowsError(try project.save(to: file, overwrite: false))
    }
}

/// A sink that fails like a full disk after a few frames.
private final class FailingSink: FrameSink {
    var written = 0
    func write(_ frame: VideoFrame, shot: Int) throws {
        written += 1
        if written == 3 { throw PipelineError("out.mkv: No space left on device") }
    }
    func finish() throws {}
    func cancel() {}
}

extension PipelineTests {
    /// The encoder stage's own error reaches the user, not the network stage's "stopped".
    func testTheFirstRealErrorOfAnyStageIsReported() throws {
        let clip = file("clip.mkv")
        try makeClip(clip, shots: [12, 12])
        let options = ColorizeOptions(classChoice: "3", seed: 5, smoothing: 2, size: 64)
        let shots = try options.shotSettings(for: try FilmAnalysis.analyze(clip), network: model)
        let reader = try MediaReader(url: clip)
        defer { reader.close() }
        XCTAssertThrowsError(try FilmRenderer(network: model, shots: shots, options: options)
            .run(reader, into: FailingSink(), only: nil, progress: nil)) { error in
            XCTAssertEqual("\(error)", "out.mkv: No space left on device")
        }
    }

    func testALongSheetTitleIsDrawnSmallerOrShortenedToFitTheSheet() {
        // 6 pixels a character at scale 1, 12 at scale 2; 8-pixel margins.
        let short = String(repeating: "x", count: 30), long = String(repeating: "x", count: 70)
        XCTAssertTrue(ContactSheet.fittedTitle(short, sheetWidth: 744, pad: 8, scale: 2) == (short, 2))
        XCTAssertTrue(ContactSheet.fittedTitle(long, sheetWidth: 744, pad: 8, scale: 2) == (long, 1))
        let title = "megamind_animated_ac3_gray.avi  frame 83  00:00:03.462  shot 1"
        let fitted = ContactSheet.fittedTitle(title, sheetWidth: 376, pad: 8, scale: 2)
        XCTAssertEqual(fitted.scale, 1)
        XCTAssertLessThanOrEqual(fitted.text.count * 6, 376 - 16)
        XCTAssertTrue(fitted.text.hasPrefix("megamind_") && fitted.text.hasSuffix("00:00:03.462  shot 1"), fitted.text)
    }
}
