import Foundation
import KinecolorEngine
@testable import KinecolorModel
import KinecolorFiles
import XCTest

/// The model shipped inside the package: it loads, says what it is, and computes what PyTorch computes.
final class DefaultModelTests: XCTestCase {
    func model() throws -> ColorizationModel {
        XCTAssertGreaterThan(DefaultModel.embeddedData.count, 0, "the embedded model is missing from this build")
        return try DefaultModel.load(nil)
    }

    /// The file in git, which the build compiles into the executable.
    static let sourceFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/Weights/kinecolor-default-v3.safetensors")

    func testEmbeddedBytesAreTheFileInGit() throws {
        // A stale build (the weights replaced, the object not rebuilt) would fail here.
        let file = try Data(contentsOf: Self.sourceFile)
        XCTAssertEqual(DefaultModel.embeddedData, file)
        XCTAssertEqual(DefaultModel.embeddedFileName, Self.sourceFile.lastPathComponent)
        XCTAssertEqual(DefaultModel.fileName, "kinecolor-default-v3")
        // Read in place: the bytes are the executable's, aligned as the C target asks.
        XCTAssertEqual(Int(bitPattern: DefaultModel.embeddedBytes.baseAddress) % 64, 0)
        // The checksum (recorded in project files) is the file's, as when it was a file on disk.
        let embedded = try DefaultModel.loadEmbedded()
        XCTAssertEqual(embedded.checksum, SHA256.hex(of: file))
        XCTAssertEqual(embedded.name, "kinecolor-default-v3")
    }

    func testAModelReadInPlaceGetsTheFileChecks() throws {
        // The in-memory path runs the same validation: a truncated copy fails with one line naming it.
        let file = try Data(contentsOf: Self.sourceFile)
        let truncated = file.prefix(file.count - 1000)
        try truncated.withUnsafeBytes { raw in
            XCTAssertThrowsError(try ColorizationModel(name: "cut.safetensors", staticBytes: raw)) { error in
                XCTAssertTrue("\(error)".hasPrefix("cut.safetensors: truncated"), "\(error)")
            }
        }
        try Data().withUnsafeBytes { raw in
            XCTAssertThrowsError(try ColorizationModel(name: "empty.safetensors", staticBytes: raw)) { error in
                XCTAssertEqual("\(error)", "empty.safetensors: file is 0 bytes, too short for the 8-byte header length")
            }
        }
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
        // the embedded model runs through its chroma calibration (Docs/model-format.md)
        XCTAssertNotNil(m.calibration)
        XCTAssertNotNil(m.metadata["calibration"])
        XCTAssertTrue(m.classNames.contains("general"))
        // Small enough to ship and to run on a CPU: ≤ 25 MB on disk, ≤ 20 GFLOP at 256×256.
        let size = DefaultModel.embeddedData.count
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
