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
        // And out as a sequence again, from the same segments.
        let frames = try CLI.run(["render", path("p.kcproj.json"), "-o", path("r_%04d.png"), "-q"])
        XCTAssertEqual(frames.status, 0, frames.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("r_") }.sorted(),
                       (1...4).map { String(format: "r_%04d.png", $0) })
    }

    /// A 16-bit scan out as a 16-bit TIFF sequence: one file per frame, numbered from 1, 16 bits
    /// kept. Without invented color (saturation 0) every file holds the scan's own samples,
    /// R′ = G′ = B′ = Y′ to within 3 of 65535 (the neutral chroma's rounding); with it, the
    /// frames have color and stay 16-bit.
    func testSequenceOutKeepsDepthFrameCountAndLuma() throws {
        let input = try sequence()
        let gray = try CLI.run(["colorize", input, "-o", path("gray_%06d.tif"), "--fps", "24", "--saturation", "0"] + color)
        XCTAssertEqual(gray.status, 0, gray.stderr)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("gray_") }.sorted()
        XCTAssertEqual(files, (1...4).map { String(format: "gray_%06d.tif", $0) })
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: dir.path).contains { $0.contains("partial") })
        let raw = try CLI.run(["-v", "error", "-i", path("gray_000003.tif"), "-f", "rawvideo", "-pix_fmt", "rgb48le", path("3.rgb")],
                              executable: URL(fileURLWithPath: "/usr/bin/ffmpeg"))
        try XCTSkipIf(raw.status != 0, "ffmpeg could not read the TIFF back: \(raw.stderr)")
        let rgb = try Data(contentsOf: URL(fileURLWithPath: path("3.rgb")))
        let scan = try Data(contentsOf: URL(fileURLWithPath: path("f_0003.pgm"))).suffix(32 * 16 * 2)
        XCTAssertEqual(rgb.count, 32 * 16 * 6)
        for i in stride(from: 0, to: 32 * 16, by: 37) {
            let y = Int(scan[scan.startIndex + 2 * i]) << 8 | Int(scan[scan.startIndex + 2 * i + 1])   // PGM: big-endian
            for c in 0..<3 { XCTAssertEqual(Int(rgb[6 * i + 2 * c]) | Int(rgb[6 * i + 2 * c + 1]) << 8, y, accuracy: 3, "pixel \(i)") }
        }

        let r = try CLI.run(["colorize", input, "-o", path("out_%06d.tif"), "--fps", "24"] + color)
        XCTAssertEqual(r.status, 0, r.stderr)
        let back = try MediaReader(url: URL(fileURLWithPath: path("out_%06d.tif")))
        XCTAssertEqual(back.video.bitDepth, 16)
        var count = 0
        while let a = try back.nextFrame() {
            XCTAssertTrue(a.u.contains { $0 != a.u[0] } || a.v.contains { $0 != a.v[0] }, "the frame has color")
            count += 1
        }
        XCTAssertEqual(count, 4)

        // 8-bit PNG from the 8-bit sample, and a range: its frames only, numbered from 1.
        let sample = CLI.repo.appendingPathComponent("Samples/big-buck-bunny-gray.mp4").path
        let part = try CLI.run(["colorize", sample, "-o", path("bbb_%03d.png"), "--from", "10", "--to", "14"] + color)
        XCTAssertEqual(part.status, 0, part.stderr)
        XCTAssertTrue(part.stderr.isEmpty || !part.stderr.contains("error"), part.stderr)
        let pngs = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("bbb_") }.sorted()
        XCTAssertEqual(pngs, (1...5).map { String(format: "bbb_%03d.png", $0) })
        XCTAssertEqual(try MediaReader(url: URL(fileURLWithPath: path("bbb_%03d.png"))).video.bitDepth, 8)

        // Never over an existing file without -y; nothing is written then.
        let again = try CLI.run(["colorize", sample, "-o", path("bbb_%03d.png"), "--from", "10", "--to", "14"] + color)
        CLI.assertOneLineError(again, mentions: "bbb_001.png: already exists")
        let y = try CLI.run(["colorize", sample, "-o", path("bbb_%03d.png"), "--from", "10", "--to", "14", "-y"] + color)
        XCTAssertEqual(y.status, 0, y.stderr)
    }

    func testSequenceOutErrors() throws {
        let sample = CLI.repo.appendingPathComponent("Samples/big-buck-bunny-gray.mp4").path
        CLI.assertOneLineError(try CLI.run(["colorize", sample, "-o", path("out_%06d.jpg")] + color),
                               mentions: "cannot write an image sequence of .jpg files (use .tif, .dpx or .png)")
        CLI.assertOneLineError(try CLI.run(["colorize", sample, "-o", path("missing/out_%06d.png")] + color),
                               mentions: "does not exist")
        CLI.assertOneLineError(try CLI.run(["colorize", sample, "-o", path("out.tif")] + color),
                               mentions: "out.tif: a .tif file holds one picture; name an image sequence with a frame number (out_%06d.tif)")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [], "nothing is written")
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

    /// A file of another size, or of another bit depth, in the middle of a sequence: named, with
    /// nothing written.
    func testSequenceFilesMustAgree() throws {
        let input = try sequence()
        try Data("P5\n16 8\n65535\n".utf8 + [UInt8](repeating: 7, count: 16 * 8 * 2)).write(to: URL(fileURLWithPath: path("f_0003.pgm")))
        CLI.assertOneLineError(try CLI.run(["colorize", input, "-o", path("x.mkv")] + color),
                               mentions: "f_0003.pgm is 16x8, f_0001.pgm 32x16; every file of a sequence must have one size")
        try Data("P5\n32 16\n255\n".utf8 + [UInt8](repeating: 7, count: 32 * 16)).write(to: URL(fileURLWithPath: path("f_0003.pgm")))
        CLI.assertOneLineError(try CLI.run(["colorize", input, "-o", path("x.mkv")] + color),
                               mentions: "f_0003.pgm has 8-bit samples, f_0001.pgm 16-bit; every file of a sequence must have one bit depth")
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
