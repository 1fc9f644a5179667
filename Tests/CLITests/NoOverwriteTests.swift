import ArgumentParser
import Foundation
import KinecolorMedia
@testable import kinecolor
import XCTest

/// `-n, --no-overwrite`, as ffmpeg's: an existing output is an error naming it, with a non-zero
/// exit and nothing written; `-y` and `-n` together are a usage error. Without either, outputs
/// are refused the same way.
final class NoOverwriteTests: XCTestCase {
    let model = CLI.fixtures.appendingPathComponent("tiny.safetensors").path
    let gray = CLI.repo.appendingPathComponent("Tests/CLITests/gray.png").path
    var dir: URL!

    override func setUpWithError() throws { dir = try CLI.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }
    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
    var color: [String] { ["--model", model, "--class", "3", "--size", "32"] }

    /// Every command that takes `-y` takes `-n`, and refuses the two together.
    func testEveryCommandWithOverwriteTakesNoOverwrite() throws {
        var checked = 0
        for path in HelpTests.commandPaths() where !path.isEmpty {
            let help = try CLI.run(path + ["--help"], environment: ["COLUMNS": "80"]).stdout
            guard help.contains("-y, --overwrite") else { continue }
            XCTAssertTrue(help.contains("-n, --no-overwrite"), "kinecolor \(path.joined(separator: " ")) --help: \(help)")
            checked += 1
        }
        XCTAssertGreaterThanOrEqual(checked, 11)
        XCTAssertTrue(try Colorize.parse(["film.mkv", "-o", "x.mkv", "-n"]).replace.noOverwrite)
        XCTAssertTrue(try Render.parse(["p.kcproj.json", "-o", "x.mkv", "--no-overwrite"]).replace.noOverwrite)
        XCTAssertThrowsError(try OverwriteOption.parse(["-y", "--no-overwrite"])) {
            XCTAssertEqual(OverwriteOption.message(for: $0), "give -y/--overwrite or -n/--no-overwrite, not both")
        }
        for arguments in [["model", "random", "-o", path("x.safetensors"), "-y", "-n"],
                          ["image", gray, "-o", path("x.png"), "-n", "--overwrite"]] {
            let both = try CLI.run(arguments)
            XCTAssertEqual(both.status, 64, both.stderr)
            XCTAssertTrue(both.stderr.contains("give -y/--overwrite or -n/--no-overwrite, not both"), both.stderr)
            XCTAssertEqual(both.stderr.split(separator: "\n").count, 1, both.stderr)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("x.safetensors")))
    }

    /// Each command with an existing output and `-n` (and with neither flag): a one-line error
    /// naming the output, a non-zero exit, the file untouched and nothing else written.
    func testAnExistingOutputIsNeverReplaced() throws {
        let film = dir.appendingPathComponent("film.mkv")
        let info = VideoStreamInfo(width: 64, height: 48, timeBase: Rational(1, 25), frameRate: Rational(25, 1))
        let writer = try MediaWriter(url: film, copyingStreamsFrom: nil, video: info, options: EncodeOptions(codec: .ffv1))
        for t in 0..<3 {
            try writer.write(VideoFrame(width: 64, height: 48, y: (0..<(64 * 48)).map { UInt16(16 + ($0 + 9 * t) % 200) },
                                        pts: Int64(t), duration: 1, index: t))
        }
        try writer.finish()
        let project = path("p.kcproj.json")
        XCTAssertEqual(try CLI.run(["plan", film.path, "-o", project, "-q"] + color).status, 0)
        let out = path("out")
        let commands: [(String, [String])] = [
            ("out.mkv", ["colorize", film.path, "-o", "OUT", "-q"] + color),
            ("out.png", ["preview", film.path, "--frame", "2", "-o", "OUT", "-q"] + color),
            ("out.png", ["image", gray, "-o", "OUT"] + color),
            ("out.csv", ["shots", film.path, "--csv", "OUT", "--edl", path("new.edl"), "-q"]),
            ("out.kcproj.json", ["plan", film.path, "-o", "OUT", "-q"] + color),
            ("out.mkv", ["render", project, "-o", "OUT", "-q"]),
            ("out.png", ["sheet", project, "-o", "OUT", "-q"]),
            ("out.png", ["reference", project, "--shot", "1", "-o", "OUT", "-q"]),
            ("out.safetensors", ["model", "random", "-o", "OUT"]),
        ]
        let before = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        for (name, arguments) in commands {
            let target = out + "." + (name.split(separator: ".", maxSplits: 1).last.map(String.init) ?? "")
            try Data("precious".utf8).write(to: URL(fileURLWithPath: target))
            for flags in [["-n"], ["--no-overwrite"], []] {
                let r = try CLI.run(arguments.map { $0 == "OUT" ? target : $0 } + flags)
                CLI.assertOneLineError(r, mentions: "\(target): already exists")
                XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "precious", "\(arguments[0]) \(flags)")
            }
            try FileManager.default.removeItem(atPath: target)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), before,
                           "kinecolor \(arguments[0]) -n left files behind")
        }
    }
}
