import Foundation
import KinecolorEngine
@testable import KinecolorModel
import XCTest

/// `__metadata__["inference"]`: how a model file says it should be run.
final class InferenceDefaultsTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// The tiny fixture rewritten with extra metadata.
    func tinyModel(metadata extra: [String: String]) throws -> URL {
        let src = try SafetensorsFile(url: Self.fixtures.appendingPathComponent("tiny.safetensors"))
        let tensors = try src.names.map { ($0, try src.tensor($0)) }
        var meta = src.metadata
        for (k, v) in extra { meta[k] = v }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kinecolor-inference-\(UUID().uuidString).safetensors")
        try SafetensorsWriter.write(tensors, metadata: meta, to: url)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func testAbsentMeansBigColorDefaults() throws {
        let m = try ColorizationModel(contentsOf: Self.fixtures.appendingPathComponent("tiny.safetensors"))
        XCTAssertEqual(m.inference, InferenceDefaults(size: 256, saturation: 1, zStd: 0.8, autoClassMinProbability: 0,
                                                      autoClassFallback: nil))
    }

    func testValuesAreReadFromTheFile() throws {
        let url = try tinyModel(metadata: ["inference": #"{"size": 192, "saturation": 1.25, "z_std": 0.4, "auto_class_min_probability": 0.5, "auto_class_fallback": "class0"}"#])
        let m = try ColorizationModel(contentsOf: url)
        XCTAssertEqual(m.inference.size, 192)
        XCTAssertEqual(m.inference.saturation, 1.25)
        XCTAssertEqual(m.inference.zStd, 0.4)
        XCTAssertEqual(m.inference.autoClassFallback, "class0")
        XCTAssertEqual(m.inference.autoClassMinProbabilityByClass, [:])
        let own = try ColorizationModel(contentsOf: try tinyModel(metadata: ["inference": #"{"auto_class_min_probability": 0.6, "auto_class_fallback": "class0", "auto_class_min_probability_by_class": {"class9": 0.2}}"#]))
        XCTAssertEqual(own.inference.autoClassMinProbabilityByClass, ["class9": 0.2])
    }

    func testBadValuesAreOneLineErrorsNamingTheField() throws {
        for (json, field) in [(#"{"size": 100}"#, "inference.size"), (#"{"saturation": -1}"#, "inference.saturation"),
                              (#"{"z_std": 9}"#, "inference.z_std"),
                              (#"{"auto_class_fallback": "nope"}"#, "inference.auto_class_fallback"),
                              (#"{"auto_class_min_probability_by_class": {"nope": 0.2}}"#, "inference.auto_class_min_probability_by_class"),
                              (#"{"auto_class_min_probability_by_class": {"class1": 1.5}}"#, "inference.auto_class_min_probability_by_class"),
                              (#"{"size": "big"}"#, "inference"), ("not json", "inference")] {
            let url = try tinyModel(metadata: ["inference": json])
            XCTAssertThrowsError(try ColorizationModel(contentsOf: url), json) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains(field), "\(text) should name \(field)")
                XCTAssertFalse(text.contains("\n"), text)
            }
        }
    }

    func testAutoClassFallsBackOnlyWhenDoubtful() {
        let names = ["general", "portrait", "street"]
        let rule = InferenceDefaults(autoClassMinProbability: 0.5, autoClassFallback: "general")
        XCTAssertEqual(rule.autoClass(probabilities: [0.1, 0.7, 0.2], classNames: names), 1)
        XCTAssertEqual(rule.autoClass(probabilities: [0.1, 0.45, 0.45], classNames: names), 0)
        XCTAssertEqual(rule.autoClass(probabilities: [0.1, 0.3, 0.6], classNames: names), 2)
        // A class with a threshold of its own keeps lower probabilities than the others.
        let own = InferenceDefaults(autoClassMinProbability: 0.5, autoClassFallback: "general",
                                    autoClassMinProbabilityByClass: ["street": 0.2])
        XCTAssertEqual(own.autoClass(probabilities: [0.35, 0.35, 0.3], classNames: names), 0)
        XCTAssertEqual(own.autoClass(probabilities: [0.3, 0.3, 0.4], classNames: names), 2)
        XCTAssertEqual(own.autoClass(probabilities: [0.3, 0.4, 0.3], classNames: names), 0)
        XCTAssertEqual(own.autoClass(probabilities: [0.5, 0.3, 0.2], classNames: names), 0)
        // Without a fallback the top class always wins.
        XCTAssertEqual(InferenceDefaults().autoClass(probabilities: [0.1, 0.45, 0.45], classNames: names), 1)
    }
}
