import Foundation
import KinecolorMedia
import XCTest

/// `--from`/`--to` on `colorize` and `render`: only that part is written, from time 0, each frame
/// exactly as the render of the whole film has it, with the audio of the same span.
final class RangeCommandTests: XCTestCase {
    let model = CLI.fixtures.appendingPathComponent("tiny.safetensors").path
    // 132 frames at 25 fps, shots 1–44, 45–80, 81–132 (ResumeAndShardTests), AAC audio.
    let sample = CLI.repo.appendingPathComponent("Samples/big-buck-bunny-gray.mp4").path
    var dir: URL!

    override func setUpWithError() throws { dir = try CLI.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }
    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    /// Every frame's planes and presentation time (seconds, to the microsecond).
    func frames(_ file: String) throws -> [(planes: [[UInt16]], time: Double)] {
        let reader = try MediaReader(url: URL(fileURLWithPath: file))
        defer { reader.close() }
        var out: [(planes: [[UInt16]], time: Double)] = []
        while let f = try reader.nextFrame() {
            out.append(([f.y, f.u, f.v], (reader.video.seconds(ofPTS: f.pts) * 1e6).rounded() / 1e6))
        }
        return out
    }

    func lastAudioTime(_ file: String) throws -> Double {
        let audio = try XCTUnwrap(MediaProbe.packetDigests(of: URL(fileURLWithPath: file), kinds: [.audio]).first)
        return try XCTUnwrap(audio.presentationTimes.compactMap { $0 }.max())
    }

    /// Frames 30–61 cross the cut after frame 44: the first shot is cut by --from, the second by --to.
    func assertRangeMatchesFullRender(_ extra: [String]) throws {
        let common = ["--model", model, "--class", "3", "--size", "64", "--codec", "ffv1", "-q"] + extra
        let full = try CLI.run(["colorize", sample, "-o", path("full.mkv")] + common)
        XCTAssertEqual(full.status, 0, full.stderr)
        let part = try CLI.run(["colorize", sample, "-o", path("part.mkv"), "--from", "30", "--to", "00:00:02.4"] + common)
        XCTAssertEqual(part.status, 0, part.stderr)
        let whole = try frames(path("full.mkv")), cut = try frames(path("part.mkv"))
        XCTAssertEqual(cut.count, 32)
        XCTAssertEqual(cut.first?.time, 0, "the output starts at 0")
        for (i, frame) in cut.enumerated() {
            XCTAssertEqual(frame.planes, whole[29 + i].planes, "frame \(30 + i) differs from the full render's")
            XCTAssertEqual(frame.time, whole[29 + i].time - whole[29].time, accuracy: 1e-6)
        }
        XCTAssertEqual(try lastAudioTime(path("part.mkv")), 1.28, accuracy: 0.05, "the audio of the same 1.28 s")
    }

    func testColorizeRangeEqualsTheFullRenderEveryFrameAKeyframe() throws {
        try assertRangeMatchesFullRender(["--keyframes", "all", "--smooth", "0"])
    }

    func testColorizeRangeEqualsTheFullRenderWithKeyframesAndSmoothing() throws {
        try assertRangeMatchesFullRender(["--keyframes", "auto", "--smooth", "3"])
    }

    func testRenderRangeUsesOnlyTheShotsItTouches() throws {
        let project = path("film.kcproj.json")
        XCTAssertEqual(try CLI.run(["plan", sample, "-o", project, "--model", model, "--class", "3", "--size", "64", "-q"]).status, 0)
        let full = try CLI.run(["render", project, "-o", path("full.mkv"), "--codec", "ffv1", "--work", path("w0"), "-q"])
        XCTAssertEqual(full.status, 0, full.stderr)
        // SMPTE 00:00:01:20 is frame 46 (0-based 45) at 25 fps: shots 2 and 3 only.
        let r = try CLI.run(["render", project, "-o", path("part.mkv"), "--codec", "ffv1", "--work", path("w"),
                             "--from", "00:00:01:20", "--to", "100", "--keep-work", "-q"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let segments = try FileManager.default.contentsOfDirectory(atPath: path("w")).filter { $0.hasPrefix("shot-") }.sorted()
        XCTAssertEqual(segments.map { String($0.prefix(9)) }, ["shot-0002", "shot-0003"], "shot 1 is neither rendered nor needed")
        let whole = try frames(path("full.mkv")), cut = try frames(path("part.mkv"))
        XCTAssertEqual(cut.count, 55)
        XCTAssertEqual(cut.first?.time, 0)
        for (i, frame) in cut.enumerated() { XCTAssertEqual(frame.planes, whole[45 + i].planes, "frame \(46 + i)") }
        XCTAssertEqual(try lastAudioTime(path("part.mkv")), 2.2, accuracy: 0.05)
    }

    func testRangesOutsideTheFilmOrBackwardsAreOneLineErrors() throws {
        let common = ["--model", model, "--class", "3", "--size", "64", "-q"]
        CLI.assertOneLineError(try CLI.run(["colorize", sample, "-o", path("a.mkv"), "--from", "100", "--to", "50"] + common),
                               mentions: "132 frames")
        CLI.assertOneLineError(try CLI.run(["colorize", sample, "-o", path("b.mkv"), "--to", "00:00:09"] + common),
                               mentions: "past the end of the film (00:00:05.280, 132 frames)")
        CLI.assertOneLineError(try CLI.run(["colorize", sample, "-o", path("c.mkv"), "--from", "133"] + common),
                               mentions: "132 frames")
        XCTAssertNotEqual(try CLI.run(["colorize", sample, "-o", path("d.mkv"), "--from", "soon"] + common).status, 0)
        for name in ["a.mkv", "b.mkv", "c.mkv", "d.mkv"] { XCTAssertFalse(FileManager.default.fileExists(atPath: path(name))) }
        let project = path("film.kcproj.json")
        XCTAssertEqual(try CLI.run(["plan", sample, "-o", project] + common).status, 0)
        CLI.assertOneLineError(try CLI.run(["render", project, "-o", path("e.mkv"), "--from", "00:00:04", "--to", "2.0", "-q"]),
                               mentions: "the film lasts 00:00:05.280, 132 frames")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("e.mkv")))
    }
}
