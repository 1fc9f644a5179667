import Foundation
import XCTest

/// `--keyframes` as a user gives it: the flag on every command that colorizes, what the project
/// file says, and bad values.
final class KeyframeCommandTests: XCTestCase {
    let model = CLI.fixtures.appendingPathComponent("tiny.safetensors").path
    let sample = CLI.repo.appendingPathComponent("Samples/big-buck-bunny-gray.mp4").path
    var dir: URL!

    override func setUpWithError() throws { dir = try CLI.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }
    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
    var color: [String] { ["--model", model, "--class", "3", "--size", "64", "-q"] }

    func testBadKeyframeValuesAreOneLineUsageErrors() throws {
        for bad in ["sometimes", "0", "-4", "49", "2.5"] {
            let r = try CLI.run(["colorize", sample, "-o", path("x.mkv"), "--keyframes", bad] + color)
            CLI.assertOneLineError(r, mentions: "'\(bad)'")
            XCTAssertTrue(r.stderr.contains("auto, all or a whole number"), r.stderr)
        }
        let r = try CLI.run(["render", path("none.kcproj.json"), "-o", path("x.mkv"), "--keyframes", "never"])
        CLI.assertOneLineError(r, mentions: "'never'")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("x.mkv")))
    }

    /// plan writes each shot's keyframes; render and a preview of a frame between keyframes use
    /// them (that the two agree bit for bit is checked in PipelineTests); rendering with
    /// --keyframes all overrides the lists without touching the file.
    func testPlanWritesKeyframesAndPreviewMatchesTheRender() throws {
        let project = path("film.kcproj.json")
        let p = try CLI.run(["plan", sample, "-o", project, "--keyframes", "auto"] + color)
        XCTAssertEqual(p.status, 0, p.stderr)
        let text = try String(contentsOfFile: project, encoding: .utf8)
        XCTAssertTrue(text.contains("\"keyframes\" : \"auto\""), text)
        let json = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
        let shots = json["shots"] as! [[String: Any]]
        for shot in shots {
            let keys = try XCTUnwrap(shot["keyframes"] as? [Int])
            XCTAssertEqual(keys.first, shot["start_frame"] as? Int)
        }
        let r = try CLI.run(["render", project, "-o", path("film.mkv"), "--codec", "ffv1", "-q"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let keys = shots[0]["keyframes"] as! [Int]
        let between = keys.count > 1 ? (keys[0] + keys[1]) / 2 : keys[0] + 3
        let v = try CLI.run(["preview", project, "--frame", String(between), "-o", path("p.png"), "-q"])
        XCTAssertEqual(v.status, 0, v.stderr)
        let before = try String(contentsOfFile: project, encoding: .utf8)
        let all = try CLI.run(["render", project, "-o", path("all.mkv"), "--keyframes", "all", "-q"])
        XCTAssertEqual(all.status, 0, all.stderr)
        XCTAssertEqual(try String(contentsOfFile: project, encoding: .utf8), before, "the project file is not changed")
    }

    /// A fade to black and a run of identical black frames go through `--keyframes auto`.
    func testFadeToBlackAndBlackFramesWork() throws {
        let film = path("fade.mp4")
        let make = try CLI.run(["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=128x72:rate=25:duration=2",
                                "-vf", "format=gray,fade=t=out:st=0.6:d=0.8", "-c:v", "libx264", "-pix_fmt", "yuv420p", film],
                               executable: URL(fileURLWithPath: "/usr/bin/ffmpeg"))
        try XCTSkipIf(make.status != 0, "ffmpeg could not make the clip: \(make.stderr)")
        let r = try CLI.run(["colorize", film, "-o", path("out.mkv"), "--keyframes", "auto"] + color)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("out.mkv")))
    }
}
