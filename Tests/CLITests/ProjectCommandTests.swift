import Foundation
import KinecolorMedia
import XCTest

/// `kinecolor plan` → edit → `kinecolor render`.
final class ProjectCommandTests: XCTestCase {
    let model = CLI.fixtures.appendingPathComponent("tiny.safetensors").path
    var dir: URL!

    override func setUpWithError() throws { dir = try CLI.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }
    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    /// A model file's `inference` metadata becomes the plan's size and saturation unless flags say otherwise.
    func testPlanUsesTheModelsOwnSettingsUnlessOverridden() throws {
        let custom = path("custom.safetensors")
        try CLI.model(URL(fileURLWithPath: model), withMetadata: ["inference": #"{"size": 32, "saturation": 0.5}"#],
                      to: URL(fileURLWithPath: custom))
        let info = try CLI.run(["model", "info", custom])
        XCTAssertTrue(info.stdout.contains("short side 32, saturation 0.50"), info.stdout)
        func defaults(_ extra: [String], _ name: String) throws -> [String: Any] {
            let r = try CLI.run(["plan", CLI.repo.appendingPathComponent("Samples/big-buck-bunny-gray.mp4").path, "-o", path(name),
                                 "--model", custom, "--class", "3", "-q"] + extra)
            XCTAssertEqual(r.status, 0, r.stderr)
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path(name)))) as! [String: Any]
            return json["defaults"] as! [String: Any]
        }
        let own = try defaults([], "own.kcproj.json")
        XCTAssertEqual(own["size"] as? Int, 32)
        XCTAssertEqual(own["saturation"] as? Double, 0.5)
        let given = try defaults(["--size", "64", "--saturation", "1.5"], "given.kcproj.json")
        XCTAssertEqual(given["size"] as? Int, 64)
        XCTAssertEqual(given["saturation"] as? Double, 1.5)
    }

    /// After an upgrade changes the embedded model, a project planned with the old one is not
    /// silently recolored: render names both models and how to go on, and `--model default` does.
    func testAProjectPlannedWithAnotherEmbeddedModelSaysSo() throws {
        let sample = CLI.repo.appendingPathComponent("Samples/big-buck-bunny-gray.mp4").path
        let project = path("old.kcproj.json")
        let plan = try CLI.run(["plan", sample, "-o", project, "--class", "general", "--size", "64", "-q"])
        XCTAssertEqual(plan.status, 0, plan.stderr)
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: project))) as! [String: Any]
        var model = json["model"] as! [String: Any]
        XCTAssertNil(model["path"] as? String, "planned with the embedded model: \(model)")
        model["name"] = "kinecolor-default-v1"
        model["sha256"] = String(repeating: "0", count: 64)
        json["model"] = model
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: project))
        let refused = try CLI.run(["render", project, "-o", path("out.mkv")])
        CLI.assertOneLineError(refused, mentions: "planned with kinecolor-default-v1, but this kinecolor embeds kinecolor-default-")
        XCTAssertTrue(refused.stderr.contains("--model default"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("out.mkv")))
        let preview = try CLI.run(["preview", project, "--shot", "1", "--model", "default", "-o", path("f.png")])
        XCTAssertEqual(preview.status, 0, preview.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("f.png")))
    }

    /// A sheet of more shots than a page holds is written as pages, named after -o or by its
    /// pattern, each holding its own shots only; all pages are checked before any is written.
    func testSheetPages() throws {
        let sample = CLI.repo.appendingPathComponent("Samples/big-buck-bunny-gray.mp4").path
        let project = path("p.kcproj.json")
        let plan = try CLI.run(["plan", sample, "-o", project, "--model", model, "--class", "3", "--size", "64", "-q"])
        XCTAssertEqual(plan.status, 0, plan.stderr)
        func size(_ name: String) throws -> (Int, Int) {
            let reader = try MediaReader(url: URL(fileURLWithPath: path(name)))
            defer { reader.close() }
            return (reader.video.width, reader.video.height)
        }
        let one = try CLI.run(["sheet", project, "-o", path("all.png"), "-q"])
        XCTAssertEqual(one.status, 0, one.stderr)
        let paged = try CLI.run(["sheet", project, "-o", path("sheet.png"), "--per-page", "2"])
        XCTAssertEqual(paged.status, 0, paged.stderr)
        XCTAssertTrue(paged.stderr.contains("2 pages"), paged.stderr)
        // Progress counts shots, not frames.
        XCTAssertTrue(paged.stderr.contains("thumbnails: 3/3 shots 100%"), paged.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("sheet.png")))
        let (w1, h1) = try size("sheet-001.png"), (w2, h2) = try size("sheet-002.png")
        XCTAssertEqual(h1, h2, "one row each")
        XCTAssertEqual(w1 - 8, 2 * (w2 - 8), "page 2 holds one thumbnail, page 1 two")
        XCTAssertEqual(try size("all.png").0, (w1 - 8) / 2 * 3 + 8, "three thumbnails on one page")
        let pattern = try CLI.run(["sheet", project, "-o", path("p%02d.png"), "--per-page", "2", "-q"])
        XCTAssertEqual(pattern.status, 0, pattern.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("p01.png")) && FileManager.default.fileExists(atPath: path("p02.png")))
        // Page 2 exists: nothing is written, page 1 included.
        try FileManager.default.removeItem(atPath: path("p01.png"))
        CLI.assertOneLineError(try CLI.run(["sheet", project, "-o", path("p%02d.png"), "--per-page", "2", "-q"]), mentions: "p02.png")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("p01.png")))
    }

    func testPlanEditRenderAndRefusals() throws {
        // A private copy of the sample, so that it can be changed later in the test.
        let film = path("film.mp4")
        try FileManager.default.copyItem(atPath: CLI.repo.appendingPathComponent("Samples/big-buck-bunny-gray.mp4").path, toPath: film)
        let plan = try CLI.run(["plan", film, "-o", path("p.kcproj.json"), "--model", model, "--class", "3", "--size", "64", "-q"])
        XCTAssertEqual(plan.status, 0, plan.stderr)
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path("p.kcproj.json")))) as! [String: Any]
        var shots = json["shots"] as! [[String: Any]]
        XCTAssertEqual(shots.map { $0["start_frame"] as! Int }, [1, 45, 89])
        XCTAssertEqual(shots.map { $0["class"] as! String }, ["class3", "class3", "class3"])

        // Edit: another class and seed for shot 2, skip shot 3.
        shots[1]["class"] = "class7"
        shots[1]["seed"] = 9
        shots[2]["skip"] = true
        json["shots"] = shots
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path("edited.kcproj.json")))
        let render = try CLI.run(["render", path("edited.kcproj.json"), "-o", path("out.mkv"), "--codec", "ffv1", "-q"])
        XCTAssertEqual(render.status, 0, render.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("out.mkv")))

        // Review: one thumbnail per shot, and candidates for one shot.
        let sheet = try CLI.run(["sheet", path("edited.kcproj.json"), "-o", path("overview.png")])
        XCTAssertEqual(sheet.status, 0, sheet.stderr)
        let grid = try CLI.run(["preview", path("edited.kcproj.json"), "--shot", "2", "--grid", "classes=1,5", "seeds=1,2", "-o", path("shot2.png"), "-q"])
        XCTAssertEqual(grid.status, 0, grid.stderr)
        for png in ["overview.png", "shot2.png"] {
            XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: path(png))).prefix(4)), [0x89, 0x50, 0x4E, 0x47])
        }
        CLI.assertOneLineError(try CLI.run(["preview", path("edited.kcproj.json"), "--shot", "9", "-o", path("x.png")]), mentions: "shots 1…3")

        // A malformed project names the field.
        shots[1]["start_frame"] = 50
        json["shots"] = shots
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path("bad.kcproj.json")))
        CLI.assertOneLineError(try CLI.run(["render", path("bad.kcproj.json"), "-o", path("bad.mkv"), "-q"]), mentions: "shots[1].start_frame")
        json["shots"] = nil
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path("noshots.kcproj.json")))
        CLI.assertOneLineError(try CLI.run(["render", path("noshots.kcproj.json"), "-o", path("bad.mkv"), "-q"]), mentions: "shots")
        try Data("{ not json".utf8).write(to: URL(fileURLWithPath: path("junk.kcproj.json")))
        CLI.assertOneLineError(try CLI.run(["render", path("junk.kcproj.json"), "-o", path("bad.mkv"), "-q"]), mentions: "junk.kcproj.json")

        // The input changed since planning: refused.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: film))
        try handle.seek(toOffset: 5000)
        try handle.write(contentsOf: Data([1, 2, 3, 4]))
        try handle.close()
        CLI.assertOneLineError(try CLI.run(["render", path("p.kcproj.json"), "-o", path("changed.mkv"), "-q"]), mentions: "input changed")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("bad.mkv")))
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("changed.mkv")))
    }
}
