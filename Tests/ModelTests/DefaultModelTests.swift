import Foundation
import KinecolorEngine
@testable import KinecolorModel
import XCTest

/// The model shipped inside the package: it loads, says what it is, and computes what PyTorch computes.
final class DefaultModelTests: XCTestCase {
    func model() throws -> ColorizationModel {
        XCTAssertNotNil(DefaultModel.url, "the embedded model is missing from the package resources")
        return try DefaultModel.load(nil)
    }

    func testEmbeddedModelLoadsWithCompleteMetadata() throws {
        let m = try model()
        for key in ["format", "architecture_version", "config", "class_names", "name", "description", "license",
                    "created", "git_commit", "corpus_hash", "inference", "training_recipe"] {
            XCTAssertNotNil(m.metadata[key], "metadata '\(key)' missing")
        }
        XCTAssertEqual(m.metadata["format"], "kinecolor.bigcolor")
        XCTAssertTrue(m.config.classHead, "the default model must estimate classes for --class auto")
        XCTAssertEqual(m.classNames.count, m.config.numClasses)
        // It says how it is meant to run, and its auto-class fallback is a class it has.
        XCTAssertEqual(m.inference.size % 16, 0)
        XCTAssertEqual(m.inference.autoClassFallback, "general")
        XCTAssertTrue(m.classNames.contains("general"))
        // Small enough to ship and to run on a CPU: ≤ 25 MB on disk, ≤ 20 GFLOP at 256×256.
        let size = try FileManager.default.attributesOfItem(atPath: DefaultModel.url!.path)[.size] as! Int
        XCTAssertLessThanOrEqual(size, 25_000_000)
        let gflop = m.config.flops(height: 256, width: 256).reduce(0) { $0 + $1.flops } / 1e9
        XCTAssertLessThanOrEqual(gflop, 20)
    }

    func testEmbeddedModelMatchesTheCommittedReference() throws {
        let m = try model()
        let fixtures = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        let ref = try SafetensorsFile(url: fixtures.appendingPathComponent("default_reference.safetensors"))
        let classIndex = try XCTUnwrap(Int(ref.metadata["class"] ?? ""))
        let out = try m.forward(gray: try ref.tensor("x"), classCode: try m.classCode(classIndex), z: try ref.tensor("z").data)
        let expected = try ref.tensor("out")
        XCTAssertEqual(out.shape, expected.shape)
        let worst = zip(out.data, expected.data).map { abs($0 - $1) }.max() ?? .infinity
        XCTAssertLessThan(worst, 1e-4)
        if let probs = try? ref.tensor("probs") {
            let got = try XCTUnwrap(try m.estimateClass(gray: try ref.tensor("x")))
            for (a, b) in zip(got, probs.data) { XCTAssertEqual(a, b, accuracy: 1e-4) }
        }
    }
}
