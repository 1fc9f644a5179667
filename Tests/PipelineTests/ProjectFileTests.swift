import Foundation
import XCTest
@testable import KinecolorPipeline

/// Damaged or hand-edited project files: every problem is a one-line error, never a trap.
final class ProjectFileTests: XCTestCase {
    func project(frameCount: String, shots: [(start: String, end: String)]) -> String {
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

    func load(_ text: String) throws -> Project {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kc-\(UUID().uuidString).kcproj.json")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(text.utf8).write(to: url)
        return try Project.load(url)
    }

    func assertLoadFails(_ text: String, _ fragment: String, line: UInt = #line) {
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

    /// A version 2 file: defaults.keyframes and per-shot keyframe lists.
    func project2(keyframes: [String], defaults: String = "\"auto\"") -> String {
        let shots = [("1", "44"), ("45", "132")]
        let entries = shots.enumerated().map { i, s in
            """
            {"class": "1", "end_frame": \(s.1), "end_timecode": "", "notes": "", "seed": 2, "shot": \(i + 1),
             "skip": false, "start_frame": \(s.0), "start_timecode": "", "keyframes": \(keyframes[i])}
            """
        }
        return """
        {"defaults": {"class": "auto", "seed": 2, "size": 192, "smooth": 3, "z_std": 0.8, "keyframes": \(defaults)},
         "format": "kinecolor-project",
         "input": {"duration_seconds": 5.28, "fingerprint": "sha256-8MiB:44dd", "frame_count": 132,
                   "path": "/films/bunny.mp4", "size_bytes": 736980, "video_stream": null},
         "model": {"name": "kinecolor-default-v2", "path": null, "sha256": null},
         "shots": [\(entries.joined(separator: ","))], "version": 2}
        """
    }

    func testKeyframeListsLoadAndBecomeZeroBasedSettings() throws {
        let p = try load(project2(keyframes: ["[1, 20, 40]", "[45, 90]"]))
        XCTAssertEqual(p.shots.map(\.keyframes), [[1, 20, 40], [45, 90]])
        XCTAssertEqual(p.options.keyframes, .auto)
        // Version 1 files have no keyframes: every frame, as they were rendered.
        let old = try load(project(frameCount: "132", shots: [("1", "44"), ("45", "132")]))
        XCTAssertEqual(old.options.keyframes, .all)
        XCTAssertNil(old.shots[0].keyframes)
    }

    func testBadKeyframeListsAreNamed() {
        assertLoadFails(project2(keyframes: ["[1, 50]", "[45]"]), "shots[0].keyframes lists frame 50, outside the shot's frames 1–44")
        assertLoadFails(project2(keyframes: ["[1, 30, 20]", "[45]"]), "shots[0].keyframes is not in ascending order (30 before 20)")
        assertLoadFails(project2(keyframes: ["[1, 20, 20]", "[45]"]), "shots[0].keyframes lists frame 20 twice")
        assertLoadFails(project2(keyframes: ["[1]", "[50, 60]"]), "shots[1].keyframes starts at 50; the first keyframe must be the shot's first frame, 45")
        assertLoadFails(project2(keyframes: ["[]", "[45]"]), "shots[0].keyframes is empty")
        assertLoadFails(project2(keyframes: ["[1]", "[45, 100]"]), "shots[1].keyframes has a gap of 55 frames")
        assertLoadFails(project2(keyframes: ["[1]", "[45]"], defaults: "\"sometimes\""), "defaults.keyframes is 'sometimes'")
        assertLoadFails(project2(keyframes: ["[1]", "[45, -3]"]), "shots[1].keyframes")
    }
}

/// Version 3: per-shot references.
extension ProjectFileTests {
    private func project3(references: [String]) -> String {
        let shots = [("1", "44"), ("45", "132")]
        let entries = shots.enumerated().map { i, s in
            """
            {"class": "1", "end_frame": \(s.1), "end_timecode": "", "notes": "", "seed": 2, "shot": \(i + 1),
             "skip": false, "start_frame": \(s.0), "start_timecode": "", "references": \(references[i])}
            """
        }
        return """
        {"defaults": {"class": "auto", "seed": 2, "size": 192, "smooth": 3, "z_std": 0.8, "keyframes": "auto"},
         "format": "kinecolor-project",
         "input": {"duration_seconds": 5.28, "fingerprint": "sha256-8MiB:44dd", "frame_count": 132,
                   "path": "/films/bunny.mp4", "size_bytes": 736980, "video_stream": null},
         "model": {"name": "kinecolor-default-v2", "path": null, "sha256": null},
         "shots": [\(entries.joined(separator: ","))], "version": 3}
        """
    }

    func testReferencesRoundTripAndVersionsOneAndTwoStillLoad() throws {
        let p = try load(project3(references: [#"[{"frame": 20, "image": "paint/s1.png"}]"#, "[]"]))
        XCTAssertEqual(p.shots[0].references, [Project.ReferenceEntry(frame: 20, image: "paint/s1.png")])
        var p4 = p
        p4.version = 4
        p4.shots[1].setup = 1
        let url4 = FileManager.default.temporaryDirectory.appendingPathComponent("kc-\(UUID().uuidString).kcproj.json")
        defer { try? FileManager.default.removeItem(at: url4) }
        try p4.save(to: url4, overwrite: false)
        XCTAssertEqual(try Project.load(url4).shots.map(\.setup), [nil, 1])
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kc-\(UUID().uuidString).kcproj.json")
        defer { try? FileManager.default.removeItem(at: url) }
        try p.save(to: url, overwrite: false)
        XCTAssertEqual(try Project.load(url), p)
        XCTAssertNoThrow(try load(project2(keyframes: ["[1, 40]", "[45, 90, 130]"])))
        XCTAssertNoThrow(try load(project(frameCount: "132", shots: [("1", "44"), ("45", "132")])))
    }

    func testBadReferencesAreNamed() {
        assertLoadFails(project3(references: [#"[{"frame": 50, "image": "a.png"}]"#, "[]"]),
                        "shots[0].references[0].frame is 50, outside the shot's frames 1–44")
        assertLoadFails(project3(references: ["[]", #"[{"frame": 60, "image": "a.png"}, {"frame": 60, "image": "b.png"}]"#]),
                        "shots[1].references[1].frame is 60 again")
        assertLoadFails(project3(references: [#"[{"frame": 3, "image": ""}]"#, "[]"]), "shots[0].references[0].image is empty")
        assertLoadFails(project3(references: [#"[{"frame": 3}]"#, "[]"]), "image")
        assertLoadFails(project3(references: ["[]", "[]"]).replacingOccurrences(of: #""references": []}"#, with: #""references": [], "palette": ""}"#),
                        "shots[0].palette is empty")
        assertLoadFails(project3(references: ["[]", "[]"]).replacingOccurrences(of: #""references": []}"#, with: #""references": [], "setup": 0}"#),
                        "shots[0].setup is 0")
    }
}
