import Foundation
import KinecolorMedia
@testable import kinecolor
import XCTest

/// The formats restorers use, from the command line: image sequences in with `--fps`.
final class FormatCommandTests: XCTestCase {
    let model = CLI.fixtures.appendingPathComponent("tiny.safetensors").path
    var dir: URL!

    override func setUpWithError() throws { dir = try CLI.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }
    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
    var color: [String] { ["--model", model, "--class", "3", "--size", "32", "-q"] }

    /// Four 16-bit gray 32×16 PGM frames, f_0001.pgm…: a 16-bit scan in miniature.
    func sequence() throws -> String {
        for k in 1...4 {
            var data = Data("P5\n32 16\n65535\n".utf8)
            for i in 0..<(32 * 16) { let s = UInt16((i * 131 + k * 7919) % 65536); data.append(UInt8(s >> 8)); data.append(UInt8(s & 0xFF)) }
            try data.write(to: dir.appendingPathComponent(String(format: "f_%04d.pgm", k)))
        }
        return path("f_%04d.pgm")
    }

    func testSequenceInKeepsRateAndSixteenBitLuma() throws {
        let input = try sequence()
        let r = try CLI.run(["colorize", input, "-o", path("out.mkv"), "--fps", "24000/1001", "--codec", "ffv1"] + color)
        XCTAssertEqual(r.status, 0, r.stderr)
        let reader = try MediaReader(url: URL(fileURLWithPath: path("out.mkv")))
        XCTAssertEqual(reader.video.frameRate, Rational(24000, 1001))
        XCTAssertEqual(reader.video.bitDepth, 16)
        let source = try MediaReader(url: URL(fileURLWithPath: input))
        var count = 0
        while let a = try reader.nextFrame(), let b = try source.nextFrame() { XCTAssertEqual(a.y, b.y); count += 1 }
        XCTAssertEqual(count, 4)
    }

    /// A project planned on a sequence keeps its rate: render reads it at the planned --fps.
    func testAProjectOnASequenceRendersAtItsPlannedRate() throws {
        let input = try sequence()
        let plan = try CLI.run(["plan", input, "-o", path("p.kcproj.json"), "--fps", "24"] + color)
        XCTAssertEqual(plan.status, 0, plan.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path("p.kcproj.json")))) as! [String: Any]
        XCTAssertEqual((json["input"] as? [String: Any])?["frame_rate"] as? String, "24/1")
        let render = try CLI.run(["render", path("p.kcproj.json"), "-o", path("out.mkv"), "--codec", "ffv1", "-q"])
        XCTAssertEqual(render.status, 0, render.stderr)
        XCTAssertEqual(try MediaReader(url: URL(fileURLWithPath: path("out.mkv"))).video.frameRate, Rational(24, 1))
    }

    func testSequenceErrors() throws {
        CLI.assertOneLineError(try CLI.run(["colorize", path("none_%06d.png"), "-o", path("x.mkv")] + color),
                               mentions: "no file matches the image sequence pattern")
        _ = try sequence()
        try FileManager.default.removeItem(atPath: path("f_0002.pgm"))
        CLI.assertOneLineError(try CLI.run(["shots", path("f_%04d.pgm"), "-q"]), mentions: "gap: f_0002.pgm is missing")
        try Data("x".utf8).write(to: URL(fileURLWithPath: path("film.mkv")))
        CLI.assertOneLineError(try CLI.run(["shots", path("film.mkv"), "--fps", "24"]), mentions: "--fps applies to image sequences")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("x.mkv")))
    }

    func testFrameRateValues() throws {
        XCTAssertEqual(try FrameRateArgument(parsing: "24").rate, Rational(24, 1))
        XCTAssertEqual(try FrameRateArgument(parsing: "24000/1001").rate, Rational(24000, 1001))
        XCTAssertEqual(try FrameRateArgument(parsing: "23.976").rate, Rational(24000, 1001))
        XCTAssertEqual(try FrameRateArgument(parsing: "12.5").rate, Rational(12500, 1000))
        for bad in ["0", "abc", "24/0", "-5", "5000", "nan"] {
            XCTAssertThrowsError(try FrameRateArgument(parsing: bad), bad)
        }
    }
}
