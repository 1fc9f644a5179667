@testable import KinecolorEngine
import XCTest

final class LabTests: XCTestCase {
    /// Docs/bigcolor-architecture.md §8.1 vectors (official functions, float32).
    func testRGBToLabSpecVectors() {
        let cases: [((Float, Float, Float), (Float, Float, Float))] = [
            ((1, 1, 1), (100.0, -0.00244, 0.00465)),
            ((0.5, 0.5, 0.5), (53.38897, -0.00146, 0.00279)),
            ((0.8, 0.3, 0.2), (49.87995, 49.2067, 41.08852)),
            ((0.1, 0.6, 0.9), (60.49553, -5.10254, -47.552)),
        ]
        for (rgb, lab) in cases {
            let got = rgbToLab(rgb.0, rgb.1, rgb.2)
            XCTAssertEqual(got.L, lab.0, accuracy: 1e-4, "L of \(rgb)")
            XCTAssertEqual(got.a, lab.1, accuracy: 1e-4, "a of \(rgb)")
            XCTAssertEqual(got.b, lab.2, accuracy: 1e-4, "b of \(rgb)")
        }
    }

    /// Docs/bigcolor-architecture.md §8.2 fusion vectors (L from the gray, a/b from the color, as FrameColorizer
    /// fuses): float results and the truncating byte cast of ToPILImage.
    func testFusionSpecVectors() {
        let cases: [(Float, (Float, Float, Float), (Float, Float, Float), (UInt8, UInt8, UInt8))] = [
            (0.5, (0.8, 0.3, 0.2), (0.801466, 0.301266, 0.201086), (204, 76, 51)),
            (0.5, (0.5, 0.5, 0.5), (0.466326, 0.466327, 0.466326), (118, 118, 118)),
            (0.2, (0.1, 0.6, 0.9), (0.0, 0.216899, 0.46716), (0, 55, 119)),
            (0.9, (0.9, 0.85, 0.3), (0.954451, 0.900935, 0.350817), (243, 229, 89)),
            (0.0, (0.4, 0.2, 0.1), (0.173155, 0.0, 0.0), (44, 0, 0)),
            (1.0, (0.2, 0.9, 0.3), (0.489249, 1.0, 0.511238), (124, 255, 130)),
        ]
        let truncate = { (v: Float) in UInt8(v * 255) }
        for (gray, rgb, expected, bytes) in cases {
            let lab = rgbToLab(rgb.0, rgb.1, rgb.2)
            let out = labToRGB(100 * gray, lab.a, lab.b)
            XCTAssertEqual(out.r, expected.0, accuracy: 1e-5, "r for \(gray), \(rgb)")
            XCTAssertEqual(out.g, expected.1, accuracy: 1e-5, "g for \(gray), \(rgb)")
            XCTAssertEqual(out.b, expected.2, accuracy: 1e-5, "b for \(gray), \(rgb)")
            XCTAssertEqual(truncate(out.r), bytes.0)
            XCTAssertEqual(truncate(out.g), bytes.1)
            XCTAssertEqual(truncate(out.b), bytes.2)
        }
    }

    func testPlanarHelpersMatchPerPixel() {
        // Enough pixels to be split into parallel chunks.
        let n = 40_000
        var planes = [Float](repeating: 0, count: 3 * n)
        for i in 0..<n {
            planes[i] = Float(i % 256) / 255
            planes[n + i] = Float((i / 256) % 256) / 255
            planes[2 * n + i] = Float((i * 37) % 256) / 255
        }
        let rgb = Tensor(shape: [3, 200, 200], data: planes)
        let lab = rgbToLab(rgb)
        let back = labToRGB(lab)
        for i in stride(from: 0, to: n, by: 997) {
            let p = rgbToLab(planes[i], planes[n + i], planes[2 * n + i])
            XCTAssertEqual(lab.data[i], p.L)
            XCTAssertEqual(lab.data[n + i], p.a)
            XCTAssertEqual(lab.data[2 * n + i], p.b)
            let q = labToRGB(p.L, p.a, p.b)
            XCTAssertEqual(back.data[i], q.r)
            XCTAssertEqual(back.data[2 * n + i], q.b)
            // The two matrices are not exact inverses, but a round trip stays within a hair.
            XCTAssertEqual(back.data[n + i], planes[n + i], accuracy: 2e-4)
        }
    }

    func testClampsAndGrayAxis() {
        // Neutral grays keep a ≈ b ≈ 0 and out-of-gamut Lab is clipped to [0, 1].
        for v: Float in [0, 0.02, 0.04045, 0.2, 0.9] {
            let lab = rgbToLab(v, v, v)
            XCTAssertEqual(lab.a, 0, accuracy: 0.01)
            XCTAssertEqual(lab.b, 0, accuracy: 0.01)
        }
        let wild = labToRGB(50, 120, -120)
        for c in [wild.r, wild.g, wild.b] { XCTAssertTrue((0...1).contains(c)) }
        let black = labToRGB(0, 0, 0)
        XCTAssertEqual(black.r, 0, accuracy: 1e-6)
        let white = labToRGB(100, 0, 0)
        XCTAssertEqual(white.g, 1, accuracy: 1e-4)
    }
}
