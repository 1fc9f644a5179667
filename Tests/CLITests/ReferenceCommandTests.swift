import Foundation
import XCTest

/// References as a restorer uses them: write the frame to paint, hand it back on the command line
/// or in the project file, and every way a reference can be wrong.
final class ReferenceCommandTests: XCTestCase {
    let model = CLI.fixtures.appendingPathComponent("tiny.safetensors").path
    let sample = CLI.repo.appendingPathComponent("Samples/big-buck-bunny-gray.mp4").path
    var dir: URL!

    override func setUpWithError() throws { dir = try CLI.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }
    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
    var color: [String] { ["--model", model, "--class", "3", "--size", "64", "-q"] }

    /// `reference` writes the shot's frame to paint; the project takes it back (relative to the
    /// project's folder) and renders; `colorize --reference` takes it too.
    func testWriteTheFrameToPaintThenRenderWithIt() throws {
        let project = path("film.kcproj.json")
        XCTAssertEqual(try CLI.run(["plan", sample, "-o", project] + color).status, 0)
        let r = try CLI.run(["reference", project, "--shot", "1", "-o", path("shot1.png")])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("shot1.png")))
        let frame = try XCTUnwrap(r.stderr.components(separatedBy: "\"frame\": ").dropFirst().first?.prefix { $0.isNumber }, r.stderr)
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: project))) as! [String: Any]
        var shots = json["shots"] as! [[String: Any]]
        shots[0]["references"] = [["frame": Int(frame)!, "image": "shot1.png"]]
        json["shots"] = shots
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: project))
        let render = try CLI.run(["render", project, "-o", path("film.mkv"), "--codec", "ffv1", "-q"])
        XCTAssertEqual(render.status, 0, render.stderr)
        XCTAssertFalse(render.stderr.contains("does not resemble"), "a painted preview resembles its frame: \(render.stderr)")
        let c = try CLI.run(["colorize", sample, "-o", path("c.mkv"), "--reference", "\(frame)=\(path("shot1.png"))"] + color)
        XCTAssertEqual(c.status, 0, c.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("c.mkv")))
    }

    func testMalformedReferenceArgumentsAreUsageErrors() throws {
        for bad in ["12", "=x.png", "12=", "twelve=x.png"] {
            let r = try CLI.run(["colorize", sample, "-o", path("x.mkv"), "--reference", bad] + color)
            XCTAssertEqual(r.status, 64, "\(bad): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("FRAME=IMAGE"), r.stderr)
        }
        for (bad, fragment) in [("3", "SHOT=FROM"), ("2=x", "SHOT=FROM"), ("0=1", "start at 1"), ("2=2", "from itself")] {
            let r = try CLI.run(["colorize", sample, "-o", path("x.mkv"), "--look", bad] + color)
            XCTAssertEqual(r.status, 64, "\(bad): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(fragment), r.stderr)
        }
    }

    /// Each bad reference: a one-line error naming the problem, a non-zero exit, nothing written.
    func testBadReferencesAreOneLineErrorsAndNothingIsWritten() throws {
        let painted = path("p.png")
        XCTAssertEqual(try CLI.run(["preview", sample, "--frame", "10", "-o", painted] + color).status, 0)
        try Data("not a picture".utf8).write(to: URL(fileURLWithPath: path("text.png")))
        let gray = CLI.repo.appendingPathComponent("Tests/CLITests/gray.png").path
        let cases: [([String], String)] = [
            (["--reference", "10=\(path("none.png"))"], "no such file"),
            (["--reference", "10=\(path("text.png"))"], "not an image"),
            (["--reference", "10=\(gray)"], "gray"),
            (["--reference", "9999=\(painted)"], "outside the film"),
            (["--reference", "10=\(painted)", "--reference", "10=\(painted)"], "two references for frame 10"),
            (["--palette", gray], "palette \(gray): the image is gray"),
            (["--palette", path("none.png")], "no such file"),
            (["--look", "9=1"], "look for shot 9: the film has shots 1…"),
        ]
        for (flags, fragment) in cases {
            let r = try CLI.run(["colorize", sample, "-o", path("x.mkv")] + flags + color)
            CLI.assertOneLineError(r, mentions: fragment)
            XCTAssertFalse(FileManager.default.fileExists(atPath: path("x.mkv")))
        }
        // The wrong frame painted (a mirrored picture): a warning that names the frame and the
        // similarity; --strict makes it an error.
        let mirrored = path("mirrored.png"), squeezed = path("squeezed.png")
        let ffmpeg = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        let m = try CLI.run(["-v", "error", "-i", painted, "-vf", "vflip", mirrored], executable: ffmpeg)
        let s = try CLI.run(["-v", "error", "-i", painted, "-vf", "scale=iw/2:ih", squeezed], executable: ffmpeg)
        try XCTSkipIf(m.status != 0 || s.status != 0, "ffmpeg could not make the pictures")
        let aspect = try CLI.run(["colorize", sample, "-o", path("x.mkv"), "--reference", "10=\(squeezed)"] + color)
        CLI.assertOneLineError(aspect, mentions: "aspect ratios must agree")
        // (Without -q: warnings are part of the progress output that -q turns off.)
        let warned = try CLI.run(["colorize", sample, "-o", path("w.mkv"), "--reference", "10=\(mirrored)"] + color.filter { $0 != "-q" })
        XCTAssertEqual(warned.status, 0, warned.stderr)
        XCTAssertTrue(warned.stderr.contains("does not resemble frame 10"), warned.stderr)
        let strict = try CLI.run(["colorize", sample, "-o", path("s.mkv"), "--reference", "10=\(mirrored)", "--strict"] + color)
        CLI.assertOneLineError(strict, mentions: "does not resemble frame 10 (luma similarity")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("s.mkv")))
    }
}
