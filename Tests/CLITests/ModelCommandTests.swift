import Foundation
import KinecolorModel
import KinecolorFiles
import XCTest

final class ModelCommandTests: XCTestCase {
    let model = CLI.fixtures.appendingPathComponent("tiny.safetensors").path

    func testInfoPrintsConfigClassesAndChecksum() throws {
        let r = try CLI.run(["model", "info", model])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("encoder:      8 → 16 → 16 → 32 → 32"), r.stdout)
        XCTAssertTrue(r.stdout.contains("10 classes"), r.stdout)
        XCTAssertTrue(r.stdout.contains("0: class0; 1: class1"), r.stdout)
        let sha = r.stdout.split(separator: "\n").first { $0.hasPrefix("sha256:") }.map { String($0.split(separator: " ").last!) }
        XCTAssertEqual(sha?.count, 64)
    }

    func testInfoWithoutAPathDescribesTheEmbeddedModel() throws {
        let r = try CLI.run(["model", "info"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("model:        kinecolor-default-v3\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("file:         embedded in kinecolor (kinecolor-default-v3.safetensors)\n"), r.stdout)
        // The checksum is the file's in git, as `sha256sum` prints it.
        let file = try Data(contentsOf: CLI.repo.appendingPathComponent("Sources/Weights/kinecolor-default-v3.safetensors"))
        XCTAssertTrue(r.stdout.contains("sha256:       \(SHA256.hex(of: file))\n"), r.stdout)
    }

    func testModelPathsThatAreNoModelFileAreOneLineErrors() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let empty = dir.appendingPathComponent("empty.safetensors")
        try Data().write(to: empty)
        let gray = CLI.repo.appendingPathComponent("Tests/CLITests/gray.png").path
        let out = dir.appendingPathComponent("out.png").path
        for (m, message) in [("/nonexistent/model.safetensors", "model.safetensors: cannot open: No such file or directory"),
                             (dir.path, "not a regular file"),
                             (empty.path, "empty.safetensors: file is 0 bytes")] {
            CLI.assertOneLineError(try CLI.run(["image", gray, "-o", out, "--model", m]), mentions: message)
            CLI.assertOneLineError(try CLI.run(["model", "info", m]), mentions: message)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["empty.safetensors"])
    }

    func testForwardMatchesTheReferenceOutput() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // x and z from the fixture, written as .npy the way numpy would.
        let fixture = try Fixture.activations()
        try CLI.writeNPY(fixture.x, shape: [1, 1, 32, 48], to: dir.appendingPathComponent("x.npy"))
        try CLI.writeNPY(fixture.z, shape: [1, fixture.z.count], to: dir.appendingPathComponent("z.npy"))
        let y = dir.appendingPathComponent("y.npy")
        let r = try CLI.run(["model", "forward", "--model", model, "--input", dir.appendingPathComponent("x.npy").path,
                             "--class", "3", "--z", dir.appendingPathComponent("z.npy").path, "--output", y.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let (shape, values) = try CLI.readNPYFloats(y)
        XCTAssertEqual(shape, [1, 3, 32, 48])
        let worst = zip(values, fixture.out).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(worst, 1e-4)

        // Refuses to overwrite without being asked, then overwrites with --overwrite.
        let again = try CLI.run(["model", "forward", "--model", model, "--input", dir.appendingPathComponent("x.npy").path,
                                 "--class", "3", "--z", dir.appendingPathComponent("z.npy").path, "--output", y.path])
        CLI.assertOneLineError(again, mentions: "already exists")
        let forced = try CLI.run(["model", "forward", "--model", model, "--input", dir.appendingPathComponent("x.npy").path,
                                  "--class", "3", "--z", dir.appendingPathComponent("z.npy").path, "--output", y.path, "--overwrite"])
        XCTAssertEqual(forced.status, 0, forced.stderr)
    }

    func testBadInputsGetOneLineErrors() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        try CLI.writeNPY([Float](repeating: 0.5, count: 32 * 48), shape: [1, 1, 32, 48], to: dir.appendingPathComponent("x.npy"))
        try CLI.writeNPY([Float](repeating: 0.5, count: 24 * 48), shape: [1, 1, 24, 48], to: dir.appendingPathComponent("x24.npy"))
        try CLI.writeNPY([Float](repeating: 0.5, count: 32 * 48), shape: [1, 1, 32, 48], to: dir.appendingPathComponent("x64.npy"), descr: "<f8")
        try CLI.writeNPY([Float](repeating: 0.5, count: 2 * 32 * 48), shape: [1, 2, 32, 48], to: dir.appendingPathComponent("x2.npy"))
        try CLI.writeNPY([Float](repeating: 0, count: 35), shape: [35], to: dir.appendingPathComponent("z.npy"))
        try CLI.writeNPY([Float](repeating: 0, count: 119), shape: [119], to: dir.appendingPathComponent("z119.npy"))
        try Data("not a model".utf8).write(to: dir.appendingPathComponent("bad.safetensors"))
        let good = try Data(contentsOf: URL(fileURLWithPath: model))
        try good.prefix(good.count / 2).write(to: dir.appendingPathComponent("truncated.safetensors"))

        func forward(model m: String = model, x: String = "x.npy", c: String = "3", z: String = "z.npy") throws -> CLI.Result {
            try CLI.run(["model", "forward", "--model", m, "--input", path(x), "--class", c, "--z", path(z), "--output", path("y-\(UUID().uuidString).npy")])
        }
        CLI.assertOneLineError(try forward(model: path("missing.safetensors")), mentions: "missing.safetensors")
        CLI.assertOneLineError(try forward(model: path("bad.safetensors")), mentions: "bad.safetensors")
        CLI.assertOneLineError(try forward(model: path("truncated.safetensors")), mentions: "truncated.safetensors")
        CLI.assertOneLineError(try forward(c: "10"), mentions: "class 10 is out of range")
        CLI.assertOneLineError(try forward(c: "zebra"), mentions: "unknown class 'zebra'")
        CLI.assertOneLineError(try forward(z: "z119.npy"), mentions: "expected shape [35] or [1, 35]")
        CLI.assertOneLineError(try forward(x: "x24.npy"), mentions: "multiples of 16")
        CLI.assertOneLineError(try forward(x: "x64.npy"), mentions: "'<f8' is not supported")
        CLI.assertOneLineError(try forward(x: "x2.npy"), mentions: "expected shape [1, 1, H, W]")
        CLI.assertOneLineError(try forward(x: "nothere.npy"), mentions: "nothere.npy")
        CLI.assertOneLineError(try CLI.run(["model", "info", path("bad.safetensors")]), mentions: "bad.safetensors")
        // Nothing was written for any of the failures.
        let outputs = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("y-") }
        XCTAssertEqual(outputs, [])
    }

    func testBenchReportsTimesFlopsAndFastKernels() throws {
        let r = try CLI.run(["model", "bench", "--model", model, "--size", "32x48", "--runs", "2", "--warmup", "0", "--json"],
                            environment: ["OPENBLAS_CORETYPE": "Prescott"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("32×48: median"), r.stdout)
        XCTAssertTrue(r.stdout.contains("G.blocks.3.1"), r.stdout)
        XCTAssertTrue(r.stdout.contains("\"median_s\":"), r.stdout)
        // Even with the misdetected core forced by the environment, the tool runs on the best kernels this CPU has.
        let flags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        if flags.contains(" avx2") && flags.contains(" fma") {
            XCTAssertFalse(r.stdout.contains("OpenBLAS Prescott"), r.stdout)
        }
    }
}

/// The fixture's x, z and output, read with the CLI test's own minimal safetensors reader.
enum Fixture {
    struct Activations { var x: [Float]; var z: [Float]; var out: [Float] }

    static func activations() throws -> Activations {
        let data = try Data(contentsOf: CLI.fixtures.appendingPathComponent("tiny_activations.safetensors"))
        let n = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = try JSONSerialization.jsonObject(with: data[8..<(8 + n)]) as! [String: Any]
        func floats(_ name: String) -> [Float] {
            let offsets = (header[name] as! [String: Any])["data_offsets"] as! [Int]
            let bytes = data[(8 + n + offsets[0])..<(8 + n + offsets[1])]
            var v = [Float](repeating: 0, count: bytes.count / 4)
            _ = v.withUnsafeMutableBytes { bytes.copyBytes(to: $0) }
            return v
        }
        return Activations(x: floats("x"), z: floats("z"), out: floats("out"))
    }
}
