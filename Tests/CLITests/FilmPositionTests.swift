import Foundation
import KinecolorMedia
import XCTest

/// Positions in a film on the command line (`--at`, the time form of `--reference`): SMPTE labels
/// at the film's rate, drop-frame where it exists, and times outside the film refused with its
/// length.
final class FilmPositionTests: XCTestCase {
    let model = CLI.fixtures.appendingPathComponent("tiny.safetensors").path
    var dir: URL!

    override func setUpWithError() throws { dir = try CLI.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }
    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
    var color: [String] { ["--model", model, "--class", "3", "--size", "32", "--keyframes", "all", "--smooth", "0"] }

    /// `frames` frames of a moving ramp at `rate` (a frame rate as a fraction), lossless.
    func clip(_ name: String, rate: Rational, frames: Int) throws -> String {
        let url = dir.appendingPathComponent(name), w = 64, h = 48
        let info = VideoStreamInfo(width: w, height: h, timeBase: Rational(rate.denominator, rate.numerator), frameRate: rate)
        let writer = try MediaWriter(url: url, copyingStreamsFrom: nil, video: info, options: EncodeOptions(codec: .ffv1))
        for t in 0..<frames {
            let y = (0..<(w * h)).map { UInt16(16 + ($0 % w + $0 / w + 4 * t) % 200) }
            try writer.write(VideoFrame(width: w, height: h, y: y, pts: Int64(t), duration: 1, index: t))
        }
        try writer.finish()
        return url.path
    }

    /// The 1-based frame `preview --at` reports for `position`.
    func previewedFrame(_ film: String, _ position: String) throws -> Int? {
        let r = try CLI.run(["preview", film, "--at", position, "-o", path("p.png"), "-y"] + color)
        XCTAssertEqual(r.status, 0, "\(position): \(r.stderr)")
        guard let line = r.stderr.split(separator: "\n").last(where: { $0.hasPrefix("frame ") }) else { return nil }
        return Int(line.dropFirst("frame ".count).prefix { $0.isNumber })
    }

    func testSMPTELabelsCountFramesAtTheFilmsRate() throws {
        let ntsc = try clip("ntsc.mkv", rate: Rational(30000, 1001), frames: 40)
        XCTAssertEqual(try previewedFrame(ntsc, "00:00:01:05"), 36)   // 30 + 5, 1-based
        XCTAssertEqual(try previewedFrame(ntsc, "00:00:01;05"), 36)   // drop-frame: no label skipped yet
        XCTAssertEqual(try previewedFrame(ntsc, "00:00:00:00"), 1)
        XCTAssertEqual(try previewedFrame(ntsc, "1.2"), 36)           // 1.2 s × 29.97 = frame 35.96 → 0-based 35
        let pal = try clip("pal.mkv", rate: Rational(25, 1), frames: 40)
        XCTAssertEqual(try previewedFrame(pal, "00:00:01:05"), 31)
        CLI.assertOneLineError(try CLI.run(["preview", pal, "--at", "00:00:01;05", "-o", path("x.png"), "-q"] + color),
                               mentions: "--at 00:00:01;05: timecode 00:00:01;05 is drop-frame, which exists only at 29.97 and 59.94 fps; the film runs at 25 fps (write 00:00:01:05)")
        CLI.assertOneLineError(try CLI.run(["preview", pal, "--at", "00:00:00:25", "-o", path("x.png"), "-q"] + color),
                               mentions: "timecode 00:00:00:25 does not exist at 25 fps (frames count 00…24)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("x.png")))
    }

    /// The labels `shots --edl` writes read back to the frames they were written for.
    func testTheLabelsOfKinecolorsOwnEDLReadBack() throws {
        let film = try clip("ntsc.mkv", rate: Rational(30000, 1001), frames: 40)
        XCTAssertEqual(try CLI.run(["shots", film, "--edl", path("s.edl"), "-q"]).status, 0)
        let edl = try String(contentsOfFile: path("s.edl"), encoding: .utf8)
        let event = try XCTUnwrap(edl.split(separator: "\n").first { $0.hasPrefix("001") })
        let recordIn = String(event.split(separator: " ")[6])
        XCTAssertEqual(recordIn, "00:00:00:00")
        XCTAssertEqual(try previewedFrame(film, recordIn), 1)
        // Its out label (exclusive: one past the last frame) is past the end.
        let recordOut = String(event.split(separator: " ")[7])
        CLI.assertOneLineError(try CLI.run(["preview", film, "--at", recordOut, "-o", path("x.png"), "-q"] + color),
                               mentions: "--at 00:00:01:10 is past the end of the film (00:00:01.334, 40 frames; its last frame is 00:00:01:09)")
    }

    /// Outside the film: an error naming the film's length, never the nearest frame; with a
    /// project too (it used to give the last frame for any time after it).
    func testPositionsOutsideTheFilmAreRefusedWithItsLength() throws {
        let film = try clip("pal.mkv", rate: Rational(25, 1), frames: 40)
        let cases: [([String], String)] = [
            (["--at", "00:05:00.0"], "--at 00:05:00.0 is past the end of the film (00:00:01.600, 40 frames)"),
            (["--at", "1.6"], "--at 1.6 is past the end of the film (00:00:01.600, 40 frames)"),
            (["--at", "-0.5"], "--at -0.5 is before the start of the film (it lasts 00:00:01.600, 40 frames)"),
            (["--at", "00:00:01:15"], "--at 00:00:01:15 is past the end of the film (00:00:01.600, 40 frames; its last frame is 00:00:01:14)"),
            (["--at", "1", "--reference", "00:00:02:00=\(path("r.png"))"], "--reference 00:00:02:00 is past the end of the film"),
        ]
        XCTAssertEqual(try CLI.run(["preview", film, "--frame", "3", "-o", path("r.png")] + color).status, 0)
        for (flags, message) in cases {
            CLI.assertOneLineError(try CLI.run(["preview", film, "-o", path("x.png"), "-q"] + flags + color), mentions: message)
        }
        XCTAssertEqual(try previewedFrame(film, "1.599"), 40)
        let project = path("p.kcproj.json")
        XCTAssertEqual(try CLI.run(["plan", film, "-o", project, "-q"] + color).status, 0)
        CLI.assertOneLineError(try CLI.run(["preview", project, "--at", "5", "-o", path("x.png"), "-q"]),
                               mentions: "--at 5 is past the end of the film (00:00:01.600, 40 frames)")
        XCTAssertEqual(try CLI.run(["preview", project, "--at", "00:00:01:14", "-o", path("y.png"), "-q"]).status, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("x.png")))
    }
}
