import Foundation
import KinecolorEngine
import XCTest
@testable import KinecolorModel

final class ResizeTests: XCTestCase {
    func testPowerofSpecExamples() {
        // Docs/bigcolor-architecture.md §8, step 5 (H×W → h×w).
        XCTAssertTrue(powerofSize(height: 600, width: 800) == (256, 352))
        XCTAssertTrue(powerofSize(height: 720, width: 1280) == (256, 464))
        // 256/300·375 is exactly 320.0 in double, so ceil does not bump it to 336.
        XCTAssertTrue(powerofSize(height: 300, width: 375) == (256, 320))
        XCTAssertTrue(powerofSize(height: 500, width: 500) == (256, 256))
        // Portrait: the short side is the width.
        XCTAssertTrue(powerofSize(height: 800, width: 600) == (352, 256))
        XCTAssertTrue(powerofSize(height: 1080, width: 1920) == (256, 464))
        // Tiny inputs are scaled up the same way.
        XCTAssertTrue(powerofSize(height: 10, width: 15) == (256, 384))
    }

    func testPowerofOtherTargets() {
        XCTAssertTrue(powerofSize(height: 1080, width: 1920, target: 512) == (512, 912))
        XCTAssertTrue(powerofSize(height: 1080, width: 1920, target: 384, unit: 32) == (384, 704))
        for (h, w) in [(480, 640), (576, 720), (1080, 1440), (333, 777), (777, 333)] {
            let s = powerofSize(height: h, width: w)
            XCTAssertEqual(s.height % 16, 0)
            XCTAssertEqual(s.width % 16, 0)
            XCTAssertEqual(min(s.height, s.width), 256)
        }
    }

    func testIdentityWhenSameSize() {
        let t = Tensor(shape: [2, 3, 4], data: (0..<24).map { Float($0) * 0.37 - 2 })
        XCTAssertEqual(resizeBilinear(t, height: 3, width: 4), t)
        XCTAssertEqual(resizeArea(t, height: 3, width: 4), t)
    }

    func testUpscale2x2To4x4() {
        let t = Tensor(shape: [1, 2, 2], data: [1, 2, 3, 4])
        let r = resizeBilinear(t, height: 4, width: 4)
        XCTAssertEqual(r.shape, [1, 4, 4])
        // Source coordinates 0 (clamped from −0.25), 0.25, 0.75, 1.25 (second sample clamped to 1).
        XCTAssertEqual(r.data, [1, 1.25, 1.75, 2,
                                1.5, 1.75, 2.25, 2.5,
                                2.5, 2.75, 3.25, 3.5,
                                3, 3.25, 3.75, 4])
    }

    func testDownscaleHalvesWithoutAntialiasing() {
        let t = Tensor(shape: [4, 4], data: (0..<16).map(Float.init))
        let r = resizeBilinear(t, height: 2, width: 2)
        XCTAssertEqual(r.shape, [2, 2])
        XCTAssertEqual(r.data, [2.5, 4.5, 10.5, 12.5])
        // 6→4 samples at 0.25, 1.75, 3.25, 4.75: not an average of the whole footprint.
        let six = Tensor(shape: [6, 6], data: (0..<36).map(Float.init))
        XCTAssertEqual(resizeBilinear(six, height: 4, width: 4).data,
                       [1.75, 3.25, 4.75, 6.25, 10.75, 12.25, 13.75, 15.25,
                        19.75, 21.25, 22.75, 24.25, 28.75, 30.25, 31.75, 33.25])
    }

    /// Values produced by torch.nn.functional.interpolate(mode='bilinear', align_corners=False,
    /// antialias=False) on the same 5×7 input (PyTorch 2.x on CPU; a few differ by one ulp).
    func testMatchesPyTorchInterpolate() {
        let input = Tensor(shape: [1, 5, 7], data: (0..<35).map { Float(sin(Double($0) * 0.7) + 0.1 * Double($0)) })
        let expected: [(Int, Int, [Float])] = [
            (3, 4, [0.14830181, 1.1248916, 1.2037674, 0.51828456, 0.8785646, 0.6784523,
                    1.7396531, 2.8327181, 3.350597, 3.1427169, 2.4246404, 2.4353545]),
            (5, 3, [0.4961451, 1.1632093, 0.008952722, 0.018338013, 1.6569866, 1.909432,
                    0.7580431, 1.0818629, 2.7099154, 2.6506612, 1.512433, 2.2469187,
                    3.7558322, 3.3870525, 2.4126089]),
            (2, 7, [-0.21183947, 0.31260443, 0.98397285, 1.5335423, 1.7498732, 1.5782533, 1.1464298,
                    3.079801, 2.8505301, 2.3976102, 1.9810878, 1.8438916, 2.0975785, 2.6698675]),
        ]
        for (h, w, values) in expected {
            let r = resizeBilinear(input, height: h, width: w)
            XCTAssertEqual(r.shape, [1, h, w])
            for (a, b) in zip(r.data, values) { XCTAssertEqual(a, b, accuracy: 2e-6, "\(h)×\(w)") }
        }
        let up = resizeBilinear(input, height: 11, width: 9)
        let upFirstRow: [Float] = [0.0, 0.49614513, 0.9403208, 1.1805074, 1.1632093, 0.83014834, 0.40955946, 0.008952525, -0.27157578]
        let upLastRow: [Float] = [3.4819636, 3.7558322, 3.8678281, 3.7367437, 3.3870525, 2.932357, 2.5815377, 2.4126089, 2.4282014]
        for (a, b) in zip(up.data.prefix(9), upFirstRow) { XCTAssertEqual(a, b, accuracy: 2e-6) }
        for (a, b) in zip(up.data.suffix(9), upLastRow) { XCTAssertEqual(a, b, accuracy: 2e-6) }
    }

    func testChannelsAreIndependent() {
        let a = (0..<20).map { Float($0) }
        let b = (0..<20).map { Float(100 - $0 * $0) }
        let both = resizeBilinear(Tensor(shape: [2, 4, 5], data: a + b), height: 7, width: 3)
        let onlyA = resizeBilinear(Tensor(shape: [4, 5], data: a), height: 7, width: 3)
        let onlyB = resizeBilinear(Tensor(shape: [1, 4, 5], data: b), height: 7, width: 3)
        XCTAssertEqual(both.shape, [2, 7, 3])
        XCTAssertEqual(onlyA.shape, [7, 3])
        XCTAssertEqual(both.data, onlyA.data + onlyB.data)
    }

    func testLargeFrameRoundTripIsSmooth() {
        // A full-HD ramp shrinks and grows back to (nearly) the same ramp; this exercises the
        // parallel row slices and the rows-in-use shortcut.
        let h = 1080, w = 1920
        var data = [Float](repeating: 0, count: h * w)
        for y in 0..<h { for x in 0..<w { data[y * w + x] = Float(x) / Float(w) + Float(y) / Float(h) } }
        let frame = Tensor(shape: [1, h, w], data: data)
        let (nh, nw) = powerofSize(height: h, width: w)
        let small = resizeBilinear(frame, height: nh, width: nw)
        XCTAssertEqual(small.shape, [1, 256, 464])
        let back = resizeBilinear(small, height: h, width: w)
        XCTAssertEqual(back.shape, [1, h, w])
        // Away from the borders, linear ramps are reproduced exactly up to rounding.
        for (y, x) in [(540, 960), (100, 200), (900, 1700)] {
            XCTAssertEqual(back.data[y * w + x], data[y * w + x], accuracy: 1e-3)
        }
    }

    func testAreaAveragesFootprints() {
        let t = Tensor(shape: [4, 4], data: (0..<16).map(Float.init))
        XCTAssertEqual(resizeArea(t, height: 2, width: 2).data, [2.5, 4.5, 10.5, 12.5])
        // 3 → 2: each output covers 1.5 samples, weights (2/3, 1/3) and (1/3, 2/3).
        let r = resizeArea(Tensor(shape: [1, 3], data: [0, 3, 6]), height: 1, width: 2)
        XCTAssertEqual(r.data[0], 1, accuracy: 1e-6)
        XCTAssertEqual(r.data[1], 5, accuracy: 1e-6)
        // Averaging keeps the mean of an evenly divisible image.
        let noise = Tensor(shape: [1, 12, 18], data: (0..<216).map { Float(($0 * 7919) % 101) / 100 })
        let box = resizeArea(noise, height: 4, width: 6)
        let mean = { (v: [Float]) in v.reduce(0, +) / Float(v.count) }
        XCTAssertEqual(mean(box.data), mean(noise.data), accuracy: 1e-5)
        // 3×3 blocks: each output is its block's mean.
        var block: Float = 0
        for y in 0..<3 { for x in 0..<3 { block += noise.data[y * 18 + x] } }
        XCTAssertEqual(box.data[0], block / 9, accuracy: 1e-6)
    }

    func testAreaFallsBackToBilinearWhenGrowing() {
        let t = Tensor(shape: [1, 2, 2], data: [1, 2, 3, 4])
        XCTAssertEqual(resizeArea(t, height: 4, width: 4), resizeBilinear(t, height: 4, width: 4))
        // Mixed: shrink rows by area, grow columns bilinearly.
        let m = resizeArea(Tensor(shape: [4, 2], data: [0, 1, 2, 3, 4, 5, 6, 7]), height: 2, width: 4)
        XCTAssertEqual(m.shape, [2, 4])
        XCTAssertEqual(m.data, [1, 1.25, 1.75, 2, 5, 5.25, 5.75, 6])
    }
}
