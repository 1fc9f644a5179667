import Foundation
import KinecolorMedia
import XCTest

/// `--class auto` through the commands, with a model whose class head is unsure: its top class
/// (class1, p ≈ 0.22) is under the model's threshold (0.5), so auto means the fallback, class0.
/// `plan` (the same shot settings `colorize` renders) and the `auto` cell of `preview --grid` (of a
/// film or of a project) must both say class0; a grid showing the head's raw top class shows class1.
/// (That every command then renders the class it names is checked with a fake network in PipelineTests.)
final class AutoClassCommandTests: XCTestCase {
    let film = CLI.repo.appendingPathComponent("Samples/big-buck-bunny-gray.mp4").path
    var dir: URL!

    override func setUpWithError() throws { dir = try CLI.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }
    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    func testGridAutoCellIsWhatPlanUses() throws {
        let model = path("unsure.safetensors")
        try Self.tinyWithClassHead(logits: [0, 1, 0.5, 0, 0, 0, 0, 0, 0, 0],
                                   inference: #"{"size": 64, "auto_class_min_probability": 0.5, "auto_class_fallback": "class0"}"#,
                                   to: URL(fileURLWithPath: model))

        let plan = try CLI.run(["plan", film, "-o", path("p.kcproj.json"), "--model", model, "-q"])
        XCTAssertEqual(plan.status, 0, plan.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path("p.kcproj.json")))) as! [String: Any]
        XCTAssertEqual((json["shots"] as! [[String: Any]]).map { $0["class"] as! String }, ["class0", "class0", "class0"])

        let filmGrid = try CLI.run(["preview", film, "--frame", "60", "--model", model, "--grid", "classes=auto,class0,class1",
                                    "seeds=1", "-o", path("film-grid.png")])
        XCTAssertEqual(filmGrid.status, 0, filmGrid.stderr)
        let projectGrid = try CLI.run(["preview", path("p.kcproj.json"), "--shot", "2", "--grid", "classes=auto,class0,class1",
                                       "seeds=1", "-o", path("project-grid.png")])
        XCTAssertEqual(projectGrid.status, 0, projectGrid.stderr)
        // Both show how far the candidates have got.
        for grid in [filmGrid, projectGrid] {
            XCTAssertTrue(grid.stderr.contains("candidates: 3/3 candidates 100%"), grid.stderr)
        }
        for png in ["film-grid.png", "project-grid.png"] {
            let cells = try (0..<3).map { try Self.cellChroma(URL(fileURLWithPath: path(png)), row: $0) }
            XCTAssertTrue(cells[0] == cells[1], "\(png): the auto cell is not class0")
            XCTAssertTrue(cells[0] != cells[2], "\(png): the auto cell is class1, the head's raw top class")
        }
    }

    /// Cb and Cr of the thumbnail in row `row` of a one-column contact sheet of a 640×360 film
    /// (360×203 cells under 22-pixel labels, below a 30-pixel title).
    static func cellChroma(_ url: URL, row: Int) throws -> [UInt16] {
        let reader = try MediaReader(url: url)
        defer { reader.close() }
        let sheet = try XCTUnwrap(try reader.nextFrame())
        XCTAssertEqual(sheet.chroma, .yuv444)
        let top = 30 + row * (22 + 203 + 8) + 22
        var out: [UInt16] = []
        for y in top..<(top + 203) {
            let start = y * sheet.width + 8
            out += sheet.u[start..<(start + 360)]
            out += sheet.v[start..<(start + 360)]
        }
        return out
    }

    /// The tiny test model with a class head that ignores the picture: all weights 0, so the
    /// probabilities are the softmax of `logits` (the head's bias) whatever the frame.
    static func tinyWithClassHead(logits: [Float], inference: String, to url: URL) throws {
        let data = try Data(contentsOf: CLI.fixtures.appendingPathComponent("tiny.safetensors"))
        let n = Int(data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        var header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + n))) as! [String: Any]
        var meta = header["__metadata__"] as! [String: String]
        var config = try JSONSerialization.jsonObject(with: Data(meta["config"]!.utf8)) as! [String: Any]
        config["class_head"] = true
        meta["config"] = String(decoding: try JSONSerialization.data(withJSONObject: config), as: UTF8.self)
        meta["inference"] = inference
        header["__metadata__"] = meta
        let features = (config["encoder_channels"] as! [Int]).last!, classes = config["num_classes"] as! Int
        XCTAssertEqual(logits.count, classes)
        var body = data.subdata(in: (8 + n)..<data.count)
        let weightStart = body.count
        body += Data(count: classes * features * 4)
        for x in logits { withUnsafeBytes(of: x.bitPattern.littleEndian) { body += Data($0) } }
        header["C.weight"] = ["dtype": "F32", "shape": [classes, features], "data_offsets": [weightStart, weightStart + classes * features * 4]]
        header["C.bias"] = ["dtype": "F32", "shape": [classes], "data_offsets": [weightStart + classes * features * 4, body.count]]
        let json = try JSONSerialization.data(withJSONObject: header)
        var out = withUnsafeBytes(of: UInt64(json.count).littleEndian) { Data($0) }
        out += json
        out += body
        try out.write(to: url)
    }
}
