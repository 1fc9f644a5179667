import Foundation
import XCTest

/// `plan --shots FILE`: a shot list cut in an editor instead of detection.
final class ShotImportCommandTests: XCTestCase {
    let sample = CLI.repo.appendingPathComponent("Samples/big-buck-bunny-gray.mp4").path
    let model = CLI.fixtures.appendingPathComponent("tiny.safetensors").path
    var dir: URL!

    override func setUpWithError() throws { dir = try CLI.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }
    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
    var color: [String] { ["--model", model, "--class", "3", "--size", "32", "-q"] }

    /// The shot lists `shots` writes, given back to `plan`, give the very project detection gives
    /// (shots, timecodes, keyframes); one with a gap is refused and nothing is written.
    func testImportedShotListsGiveTheDetectedProject() throws {
        XCTAssertEqual(try CLI.run(["shots", sample, "--csv", path("s.csv"), "--edl", path("s.edl"), "-q"]).status, 0)
        XCTAssertEqual(try CLI.run(["plan", sample, "-o", path("detected.kcproj.json")] + color).status, 0)
        let detected = try String(contentsOfFile: path("detected.kcproj.json"), encoding: .utf8)
        XCTAssertGreaterThanOrEqual(detected.components(separatedBy: "\"start_frame\"").count - 1, 2, "the sample should have cuts")
        for list in ["s.csv", "s.edl"] {
            let r = try CLI.run(["plan", sample, "-o", path("\(list).kcproj.json"), "--shots", path(list)] + color)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(try String(contentsOfFile: path("\(list).kcproj.json"), encoding: .utf8), detected, list)
        }
        // A gap: the second shot starts two frames late.
        let csv = try String(contentsOfFile: path("s.csv"), encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        var gap = csv.map(String.init)
        let second = gap[3].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        gap[3] = ([second[0], String(Int(second[1])! + 2)] + second.dropFirst(2)).joined(separator: ",")
        try gap.joined(separator: "\n").write(toFile: path("gap.csv"), atomically: true, encoding: .utf8)
        let r = try CLI.run(["plan", sample, "-o", path("gap.kcproj.json"), "--shots", path("gap.csv")] + color)
        CLI.assertOneLineError(r, mentions: "gap.csv line 4: a gap: frames \(second[1])–\(Int(second[1])! + 1) are in no shot")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("gap.kcproj.json")))
        // A list longer than the film, and a file that is no shot list.
        try "Scene Number,Start Frame,End Frame\n1,1,500\n".write(toFile: path("long.csv"), atomically: true, encoding: .utf8)
        CLI.assertOneLineError(try CLI.run(["plan", sample, "-o", path("x.kcproj.json"), "--shots", path("long.csv")] + color),
                               mentions: "long.csv line 2: the shot (frames 1–500) is outside the film (it has 132 frames)")
        CLI.assertOneLineError(try CLI.run(["plan", sample, "-o", path("x.kcproj.json"), "--shots", sample] + color),
                               mentions: "not a text file")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("x.kcproj.json")))
    }
}
