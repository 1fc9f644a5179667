import Foundation
import XCTest
@testable import KinecolorPipeline

/// Damaged or hand-edited project files: every problem is a one-line error, never a trap.
final class ProjectFileTests: XCTestCase {
    private func project(frameCount: String, shots: [(start: String, end: String)]) -> String {
        let entries = shots.enumerated().map { i, s in
            """
            {"class": "1", "end_frame": \(s.end), "end_timecode": "", "notes": "", "seed": 2, "shot": \(i + 1),
             "skip": false, "start_frame": \(s.start), "start_timecode": ""}
            """
        }
        return """
        {"defaults": {"class": "auto", "seed": 2, "size": 192, "smooth": 3, "z_std": 0.8},
         "format": "kinecolor-project",
         "input": {"duration_seconds": 5.28, "fingerprint": "sha256-8MiB:44dd", "frame_count": \(frameCount),
                   "path": "/films/bunny.mp4", "size_bytes": 736980, "video_stream": null},
         "model": {"name": "kinecolor-default-v2", "path": null, "sha256": null},
         "shots": [\(entries.joined(separator: ","))], "version": 1}
        """
    }

    private func load(_ text: String) throws -> Project {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kc-\(UUID().uuidString).kcproj.json")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(text.utf8).write(to: url)
        return try Project.load(url)
    }

    private func assertLoadFails(_ text: String, _ fragment: String, line: UInt = #line) {
        XCTAssertThrowsError(try load(text), line: line) { error in
            let message = "\(error)"
            XCTAssertFalse(message.contains("\n"), message, line: line)
            XCTAssertTrue(message.contains(fragment), "'\(message)' lacks '\(fragment)'", line: line)
        }
    }

    func testValidProjectLoads() throws {
        let p = try load(project(frameCount: "132", shots: [("1", "44"), ("45", "132")]))
        XCTAssertEqual(p.shots.map(\.endFrame), [44, 132])
    }

    // Found by Fuzz/Targets/project.swift: an end_frame of Int.max overflowed `end_frame + 1`
    // while checking that shots follow each other, and trapped.
    func testEndFrameOfIntMaxIsAnErrorNotATrap() {
        let max = String(Int.max)
        // A frame_count of Int.max is refused by its own range first.
        assertLoadFails(project(frameCount: max, shots: [("1", max)]), "input.frame_count \(max) must be in")
        assertLoadFails(project(frameCount: "132", shots: [("1", max)]), "shots[0].end_frame is \(max), but the film has 132 frames")
        assertLoadFails(project(frameCount: "132", shots: [("1", "44"), ("45", max)]), "shots[1].end_frame is \(max)")
    }

    func testShotsPastTheFilmEndAreNamed() {
        assertLoadFails(project(frameCount: "132", shots: [("1", "200"), ("201", "300")]), "shots[0].end_frame is 200, but the film has 132 frames")
        assertLoadFails(project(frameCount: "132", shots: [("1", "44")]), "shots[0].end_frame is 44, but the film has 132 frames")
    }
}
