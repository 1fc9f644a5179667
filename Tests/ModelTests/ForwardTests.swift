import Foundation
import KinecolorEngine
@testable import KinecolorModel
import XCTest

/// The Swift network against activations dumped by our PyTorch reference (kinecolor_training.make_fixtures)
/// for a narrow random model: every block's output and the final output.
final class ForwardTests: XCTestCase {
    static let fixtures = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

    func load(_ name: String) throws -> SafetensorsFile {
        try SafetensorsFile(url: Self.fixtures.appendingPathComponent(name))
    }

    /// max |a − b| / max |b|: the tolerance Docs/bigcolor-architecture.md suggests for per-block comparisons.
    func relativeError(_ a: Tensor, _ b: Tensor) -> Float {
        var diff: Float = 0, scale: Float = 0
        for i in 0..<b.count {
            diff = max(diff, abs(a.data[i] - b.data[i]))
            scale = max(scale, abs(b.data[i]))
        }
        return diff / max(scale, 1e-12)
    }

    func testEveryBlockMatchesPyTorch() throws {
        let model = try ColorizationModel(contentsOf: Self.fixtures.appendingPathComponent("tiny.safetensors"))
        let ref = try load("tiny_activations.safetensors")
        let classIndex = try XCTUnwrap(Int(ref.metadata["class"] ?? ""))
        let e = try model.classCode(classIndex)
        XCTAssertLessThan(relativeError(Tensor(shape: [e.count], data: e), try ref.tensor("e")), 1e-6)

        var seen: [String] = []
        let out = try model.forward(gray: try ref.tensor("x"), classCode: e, z: try ref.tensor("z").data) { name, map in
            seen.append(name)
            guard let expected = try? ref.tensor(name) else { return XCTFail("fixture has no '\(name)'") }
            let got = map.tensor
            XCTAssertEqual(got.shape, expected.shape, name)
            XCTAssertLessThan(self.relativeError(got, expected), 1e-4, name)
        }
        XCTAssertEqual(seen, ["E.res1", "E.res2", "E.res3", "E.res4", "E.res5", "G.blocks.2", "G.blocks.3.0",
                              "G.blocks.3.1", "G.blocks.4", "G.blocks.5", "out"])
        let expected = try ref.tensor("out")
        XCTAssertEqual(out.shape, [1, 3, 32, 48])
        XCTAssertLessThan(relativeError(out, expected), 1e-4)
        // The output is not degenerate (a broken layer tends to saturate or zero it).
        XCTAssertGreaterThan(expected.data.map(abs).max()!, 0.05)
    }

    func testPortraitInputAndAnotherClass() throws {
        let model = try ColorizationModel(contentsOf: Self.fixtures.appendingPathComponent("tiny.safetensors"))
        let ref = try load("tiny_activations_b.safetensors")
        let classIndex = try XCTUnwrap(Int(ref.metadata["class"] ?? ""))
        let out = try model.forward(gray: try ref.tensor("x"), classCode: try model.classCode(classIndex), z: try ref.tensor("z").data)
        let expected = try ref.tensor("out")
        XCTAssertEqual(out.shape, expected.shape)
        XCTAssertLessThan(relativeError(out, expected), 1e-4)
    }

    func testModelMetadataAndClasses() throws {
        let model = try ColorizationModel(contentsOf: Self.fixtures.appendingPathComponent("tiny.safetensors"))
        XCTAssertEqual(model.config.numClasses, 10)
        XCTAssertEqual(try model.classIndex("class7"), 7)
        XCTAssertEqual(try model.classIndex("4"), 4)
        XCTAssertThrowsError(try model.classIndex("10")) { XCTAssertEqual("\($0)", "class 10 is out of range: this model has classes 0…9") }
        XCTAssertThrowsError(try model.classIndex("zebra"))
        XCTAssertEqual(model.checksum?.count, 64)
    }

    func testBadInputsAreOneLineErrors() throws {
        let model = try ColorizationModel(contentsOf: Self.fixtures.appendingPathComponent("tiny.safetensors"))
        let e = try model.classCode(0)
        let z = [Float](repeating: 0, count: model.config.dimZ)
        XCTAssertThrowsError(try model.forward(gray: Tensor(zeros: [1, 1, 24, 32]), classCode: e, z: z)) {
            XCTAssertEqual($0 as? ModelError, .inputSize(height: 24, width: 32))
        }
        XCTAssertThrowsError(try model.forward(gray: Tensor(zeros: [1, 1, 0, 16]), classCode: e, z: z))
        XCTAssertThrowsError(try model.forward(gray: Tensor(zeros: [16, 16]), classCode: e, z: [0, 1])) {
            XCTAssertEqual($0 as? ModelError, .zLength(2, expected: model.config.dimZ))
        }
        XCTAssertThrowsError(try model.classCode(-1))
    }

    func testMissingAndExtraTensorsAreNamed() throws {
        let src = try load("tiny.safetensors")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kc-forward-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var tensors = try src.names.map { ($0, try src.tensor($0)) }

        let missing = dir.appendingPathComponent("missing.safetensors")
        try SafetensorsWriter.write(tensors.filter { $0.0 != "E.res3.conv_2.bias" }, metadata: src.metadata, to: missing)
        XCTAssertThrowsError(try ColorizationModel(contentsOf: missing)) {
            XCTAssertEqual("\($0)", "missing.safetensors: missing tensor 'E.res3.conv_2.bias'")
        }

        let extra = dir.appendingPathComponent("extra.safetensors")
        try SafetensorsWriter.write(tensors + [("G.linear.weight", Tensor(zeros: [2]))], metadata: src.metadata, to: extra)
        XCTAssertThrowsError(try ColorizationModel(contentsOf: extra)) {
            XCTAssertTrue("\($0)".contains("unexpected tensor 'G.linear.weight'"), "\($0)")
        }

        let i = tensors.firstIndex { $0.0 == "G.blocks.3.1.gamma" }!
        tensors[i].1 = Tensor(zeros: [1])
        let shape = dir.appendingPathComponent("shape.safetensors")
        try SafetensorsWriter.write(tensors, metadata: src.metadata, to: shape)
        XCTAssertThrowsError(try ColorizationModel(contentsOf: shape)) {
            XCTAssertEqual("\($0)", "shape.safetensors: tensor 'G.blocks.3.1.gamma' has shape [1], expected []")
        }

        let noConfig = dir.appendingPathComponent("noconfig.safetensors")
        try SafetensorsWriter.write(tensors, metadata: [:], to: noConfig)
        XCTAssertThrowsError(try ColorizationModel(contentsOf: noConfig)) { XCTAssertTrue("\($0)".contains("no 'config'")) }
    }

    func testRandomOfficialShapeHasTheSpecParameterCount() {
        // Docs/bigcolor-architecture.md §7.1: 41.25 M floats used at inference.
        let n = ColorizationModel.random(.bigcolor).parameterCount
        XCTAssertEqual(Double(n) / 1e6, 41.25, accuracy: 0.01)
        let gflop = ModelConfig.bigcolor.flops(height: 256, width: 256).reduce(0) { $0 + $1.flops } / 1e9
        XCTAssertEqual(gflop, 199.38, accuracy: 0.05)
    }
}
