import Foundation
import XCTest

/// `kinecolor motion bench`: its tables on the repository's sample at a small size, and one-line
/// errors for clips it cannot use.
final class MotionCommandTests: XCTestCase {
    let sample = CLI.repo.appendingPathComponent("Samples/big-buck-bunny-gray.mp4").path

    func testBenchPrintsAccuracyAndSpeedTables() throws {
        let r = try CLI.run(["motion", "bench", sample, "--size", "32", "--frames", "2", "--runs", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("big-buck-bunny-gray.mp4: 2 frames at 32×64"), r.stdout)
        for row in ["translation 2.6,-1.4", "zoom 1.05", "rotation 3°", "patch 5.5,3.25", "+ grain, flicker",
                    "32×64     ultrafast", "Default preset (fast)"] {
            XCTAssertTrue(r.stdout.contains(row), "\(row) missing: \(r.stdout)")
        }
        XCTAssertFalse(r.stdout.contains("nan"), r.stdout)
        for line in r.stdout.split(separator: "\n") where line.count > 80 { XCTFail("\(line.count) columns: \(line)") }
    }

    func testBadClipsAreOneLineErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kinecolor-motion-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let empty = dir.appendingPathComponent("empty.mp4"), text = dir.appendingPathComponent("notes.mp4")
        _ = FileManager.default.createFile(atPath: empty.path, contents: Data())
        try Data("not a film".utf8).write(to: text)
        for (clip, needle) in [(dir.appendingPathComponent("missing.mp4").path, "missing.mp4: no such file"),
                               (empty.path, "empty.mp4: the file is empty"), (text.path, "notes.mp4"), (dir.path, "is a directory")] {
            let r = try CLI.run(["motion", "bench", sample, clip, "--size", "32", "--frames", "1", "--runs", "1"])
            CLI.assertOneLineError(r, mentions: needle)
            XCTAssertEqual(r.stdout, "", "nothing is measured before every clip is read")
        }
        CLI.assertOneLineError(try CLI.run(["motion", "bench", sample, "--frames", "0"]), mentions: "--frames")
    }
}
