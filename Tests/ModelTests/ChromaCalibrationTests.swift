import Foundation
import KinecolorEngine
import XCTest
@testable import KinecolorModel

final class ChromaCalibrationTests: XCTestCase {
    /// 3 bands, 5×5 nodes over ±40: the table kinecolor_training's test builds too.
    private func pinnedTable() throws -> ChromaCalibration {
        var values = [Float]()
        for l in 0..<3 {
            for i in 0..<5 {
                for j in 0..<5 {
                    values += [Float((i - 2) * 3 + l) + 0.25 * Float(i * j), Float((j - 2) * -2) + 0.5 * Float(l * l)]
                }
            }
        }
        return try ChromaCalibration(shape: [3, 5, 5, 2], values: values, range: 40)
    }

    /// The same numbers as `kinecolor_training.calibration.apply` gives (Training/tests/test_calibration.py):
    /// a model calibrated in Python runs the same in the product.
    func testMatchesTheTrainingToolsInterpolation() throws {
        let cal = try pinnedTable()
        var a: [Float] = [13, 50, -39.5, 0, 7], b: [Float] = [-7, 50, 3, 0, -33]
        cal.apply(a: &a, b: &b, luma: [0.1, 0.5, 0.95, 0.5, 0.7])
        let wantA: [Float] = [3.0431254, 11.0, -3.9115624, 2.0, 2.8556247]
        let wantB: [Float] = [0.7, -3.5, 1.7, 0.5, 4.7]
        for i in 0..<5 {
            XCTAssertEqual(a[i], wantA[i], accuracy: 1e-4, "a[\(i)]")
            XCTAssertEqual(b[i], wantB[i], accuracy: 1e-4, "b[\(i)]")
        }
    }

    /// A table whose nodes hold their own coordinates changes nothing inside its range and clamps outside.
    func testIdentityTableKeepsColorsAndClampsBeyondItsRange() throws {
        var values = [Float]()
        for _ in 0..<2 { for i in 0..<9 { for j in 0..<9 { values += [Float(i * 10 - 40), Float(j * 10 - 40)] } } }
        let cal = try ChromaCalibration(shape: [2, 9, 9, 2], values: values, range: 40)
        var a: [Float] = [12.5, -3, 39.9, 70, .nan], b: [Float] = [-27.25, 0, -40, -90, 5]
        cal.apply(a: &a, b: &b, luma: [0, 0.3, 0.8, 1, 0.5])
        XCTAssertEqual(a[0], 12.5, accuracy: 1e-4); XCTAssertEqual(b[0], -27.25, accuracy: 1e-4)
        XCTAssertEqual(a[1], -3, accuracy: 1e-4); XCTAssertEqual(b[1], 0, accuracy: 1e-4)
        XCTAssertEqual(a[2], 39.9, accuracy: 1e-4); XCTAssertEqual(b[2], -40, accuracy: 1e-4)
        XCTAssertEqual(a[3], 40, accuracy: 1e-4); XCTAssertEqual(b[3], -40, accuracy: 1e-4)
        XCTAssertEqual(a[4], 0, accuracy: 1e-4, "a NaN is read as neutral, not a trap")
    }

    func testDamagedTablesAreOneLineErrors() {
        func fails(_ shape: [Int], _ values: [Float], range: Double = 40, _ fragment: String, line: UInt = #line) {
            XCTAssertThrowsError(try ChromaCalibration(shape: shape, values: values, range: range), line: line) { e in
                XCTAssertTrue("\(e)".contains(fragment), "\(e)", line: line)
                XCTAssertFalse("\(e)".contains("\n"), line: line)
            }
        }
        let ok = [Float](repeating: 0, count: 2 * 3 * 3 * 2)
        fails([2, 3, 3, 3], ok, "has shape [2, 3, 3, 3]")
        fails([2, 3, 4, 2], ok, "has shape")
        fails([2, 1, 1, 2], [0, 0, 0, 0], "has shape")
        fails([65, 3, 3, 2], [Float](repeating: 0, count: 65 * 18), "has shape")
        fails([2, 3, 3, 2], Array(ok.dropLast()), "holds 35 values")
        fails([2, 3, 3, 2], ok, range: 0, "ab_range 0.0")
        fails([2, 3, 3, 2], ok, range: .infinity, "ab_range")
        var bad = ok
        bad[7] = .nan
        fails([2, 3, 3, 2], bad, "not finite")
        bad[7] = 1000
        fails([2, 3, 3, 2], bad, "not finite")
    }

    /// A model file carries its table in `calibration.ab`, with `calibration` metadata; one without
    /// the other is a damaged file, not a model that silently runs uncalibrated.
    func testModelFilesLoadTheirCalibrationAndRefuseHalfOfOne() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kinecolor-cal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let tiny = try SafetensorsFile(url: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/tiny.safetensors"))
        let weights = try tiny.names.map { ($0, try tiny.tensor($0)) }
        let table = Tensor(shape: [1, 2, 2, 2], data: [-10, -10, -10, 10, 10, -10, 10, 10])

        func write(_ name: String, extra: [(String, Tensor)], metadata: [String: String]) throws -> URL {
            let url = dir.appendingPathComponent(name)
            try SafetensorsWriter.write(weights + extra, metadata: tiny.metadata.merging(metadata) { $1 }, to: url)
            return url
        }
        let plain = try ColorizationModel(contentsOf: write("plain.safetensors", extra: [], metadata: [:]))
        XCTAssertNil(plain.calibration)
        let good = try ColorizationModel(contentsOf: write("good.safetensors", extra: [("calibration.ab", table)],
                                                           metadata: ["calibration": #"{"ab_range": 10, "fitted_on": "test"}"#]))
        XCTAssertEqual(good.calibration?.nodes, 2)
        XCTAssertEqual(good.calibration?.range, 10)

        for (name, extra, meta, fragment) in [
            ("no-meta", [("calibration.ab", table)], [String: String](), "needs metadata 'calibration'"),
            ("no-tensor", [], ["calibration": #"{"ab_range": 10}"#], "without tensor 'calibration.ab'"),
            ("bad-range", [("calibration.ab", table)], ["calibration": #"{"ab_range": -1}"#], "ab_range -1"),
            ("bad-shape", [("calibration.ab", Tensor(shape: [8], data: [Float](repeating: 0, count: 8)))],
             ["calibration": #"{"ab_range": 10}"#], "has shape [8]"),
        ] {
            let url = try write("\(name).safetensors", extra: extra, metadata: meta)
            XCTAssertThrowsError(try ColorizationModel(contentsOf: url), name) { e in
                XCTAssertTrue("\(e)".hasPrefix("\(name).safetensors: "), "\(e)")
                XCTAssertTrue("\(e)".contains(fragment), "\(e)")
            }
        }
    }
}
