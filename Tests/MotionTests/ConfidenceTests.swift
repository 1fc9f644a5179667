@testable import KinecolorMotion
import Foundation
import Synchronization
import XCTest

/// Forward–backward confidence where the answer is known, degenerate frames, and determinism.
final class ConfidenceTests: XCTestCase {
    let w = 160, h = 120
    let texture = Texture(seed: 7)

    /// A 40×40 patch of another texture moves 8 px right over a static background. Measured with
    /// the default preset: mean confidence 0.25 on the background it covers, 0.35 on the background
    /// it uncovers, 1.00 on the background 16 px or more away from it. Bounds: below 0.5 on both
    /// strips, above 0.95 (mean) and 0.5 (99% of pixels) far away, and the patch's own flow within
    /// 0.5 px of 8 with the medium preset (2 px with fast, the default: its coarsest scale is
    /// coarser, so a small patch's large move is underestimated inside; the confidence still marks
    /// the strips).
    func testOcclusionsGetLowConfidenceAndStaticBackgroundHigh() throws {
        let background = Texture(seed: 11), patch = Texture(seed: 12)
        let left = 50, top = 40, side = 40, shift = 8
        func frame(_ offset: Int) -> LumaPlane {
            Synthetic.plane(w, h) { x, y in
                let inside = x >= left + offset && x < left + offset + side && y >= top && y < top + side
                return inside ? patch.value(Double(x - offset), Double(y)) : background.value(Double(x), Double(y))
            }
        }
        let pair = try PairMotion.estimate(from: frame(0), to: frame(shift))
        // Rows 4 px inside the patch's, away from its corners.
        let rows = (top + 4)..<(top + side - 4)
        let covered = Synthetic.mean(pair.forwardConfidence, width: w) { x, y in
            x >= left + side && x < left + side + shift && rows.contains(y)
        }
        let uncovered = Synthetic.mean(pair.backwardConfidence, width: w) { x, y in
            x >= left && x < left + shift && rows.contains(y)
        }
        XCTAssertLessThan(covered, 0.5, "background the patch covers, forward")
        XCTAssertLessThan(uncovered, 0.5, "background the patch uncovers, backward")
        func far(_ x: Int, _ y: Int) -> Bool {
            let away = x < left - 16 || x >= left + side + shift + 16 || y < top - 16 || y >= top + side + 16
            return away && x >= 8 && y >= 8 && x < w - 8 && y < h - 8
        }
        for (name, confidence) in [("forward", pair.forwardConfidence), ("backward", pair.backwardConfidence)] {
            XCTAssertGreaterThan(Synthetic.mean(confidence, width: w, where: far), 0.95, name)
            let kept = Synthetic.mean(confidence.map { $0 > 0.5 ? 1 : 0 }, width: w, where: far)
            XCTAssertGreaterThan(kept, 0.99, name)
        }
        let patchFlow = Synthetic.mean(pair.forward.dx, width: w) { x, y in
            x >= left + 6 && x < left + side - 6 && y >= top + 6 && y < top + side - 6
        }
        XCTAssertEqual(patchFlow, Double(shift), accuracy: 2)
        let medium = try PairMotion.estimate(from: frame(0), to: frame(shift), flow: OpticalFlow(preset: .medium))
        let mediumFlow = Synthetic.mean(medium.forward.dx, width: w) { x, y in
            x >= left + 6 && x < left + side - 6 && y >= top + 6 && y < top + side - 6
        }
        XCTAssertEqual(mediumFlow, Double(shift), accuracy: 0.5)
    }

    /// Identical frames: no motion (below 0.001 px anywhere) and full confidence (above 0.999).
    func testIdenticalFramesGiveZeroFlowAndFullConfidence() throws {
        let (a, _) = Synthetic.pair(texture, .translation(0, 0), width: w, height: h)
        let grainy = Synthetic.degraded(a, grain: 0.03, seed: 3)
        for plane in [a, grainy] {
            let pair = try PairMotion.estimate(from: plane, to: plane)
            for flow in [pair.forward, pair.backward] {
                XCTAssertLessThan(flow.dx.map(abs).max()!, 0.001)
                XCTAssertLessThan(flow.dy.map(abs).max()!, 0.001)
            }
            XCTAssertGreaterThan(pair.forwardConfidence.min()!, 0.999)
            XCTAssertGreaterThan(pair.backwardConfidence.min()!, 0.999)
        }
    }

    /// Black frames, a cut from black, a cut to black and a fade to almost black: no crash, finite
    /// flows, confidences in [0, 1]; two black frames are still.
    func testBlackAndFadingFramesGiveFiniteValues() throws {
        let black = LumaPlane(width: w, height: h, values: [Float](repeating: 0, count: w * h))
        let (picture, _) = Synthetic.pair(texture, .translation(0, 0), width: w, height: h)
        let nearlyBlack = Synthetic.degraded(picture, gain: 0.02)
        let pairs = [(black, black), (black, picture), (picture, black), (picture, nearlyBlack), (nearlyBlack, black)]
        for (i, (a, b)) in pairs.enumerated() {
            let pair = try PairMotion.estimate(from: a, to: b)
            for values in [pair.forward.dx, pair.forward.dy, pair.backward.dx, pair.backward.dy] {
                XCTAssertTrue(values.allSatisfy(\.isFinite), "pair \(i)")
            }
            for confidence in [pair.forwardConfidence, pair.backwardConfidence] {
                XCTAssertTrue(confidence.allSatisfy { $0 >= 0 && $0 <= 1 }, "pair \(i)")
            }
        }
        let still = try PairMotion.estimate(from: black, to: black)
        XCTAssertEqual(still.forward, .zero(width: w, height: h))
        XCTAssertEqual(still.meanConfidence, 1)
    }

    /// The same planes give the same bits, whatever was computed before on the same thread (DIS
    /// keeps an instance per thread and preset, and OpenCV adapts an instance's patch and scales
    /// to a picture too small for them and kept them for every later picture), and when both
    /// directions of a pair run side by side on any threads.
    func testSameInputsGiveIdenticalBits() throws {
        let (a, b) = Synthetic.pair(texture, .rotation(3, cx: 80, cy: 60), width: w, height: h)
        let grainyA = Synthetic.degraded(a, grain: 0.03, seed: 1), grainyB = Synthetic.degraded(b, grain: 0.03, seed: 2)
        let fresh = try onNewThread { try OpticalFlow.Preset.allCases.map { try OpticalFlow(preset: $0).flow(from: grainyA, to: grainyB) } }
        let (small, moved) = Synthetic.pair(Texture(seed: 5), .translation(1, 1), width: 16, height: 16)
        let (wide, _) = Synthetic.pair(Texture(seed: 5), .translation(0, 0), width: 64, height: 16)
        for preset in OpticalFlow.Preset.allCases {
            let flow = OpticalFlow(preset: preset)
            _ = try flow.flow(from: small, to: moved)
            _ = try flow.flow(from: wide, to: wide)
            _ = try PairMotion.estimate(from: small, to: moved, flow: flow)
            // XCTAssertTrue: a failure would print 19,200 vectors otherwise.
            XCTAssertTrue(try flow.flow(from: grainyA, to: grainyB) == fresh[Int(preset.rawValue)], "\(preset)")
        }
        let pair = try PairMotion.estimate(from: grainyA, to: grainyB)
        XCTAssertTrue(pair.forward == fresh[Int(OpticalFlow().preset.rawValue)])
        XCTAssertTrue(try PairMotion.estimate(from: grainyA, to: grainyB) == pair)
    }

    /// `body`'s result, computed on a thread of its own (so with DIS instances never used before).
    func onNewThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) throws -> T {
        let result = Mutex<Result<T, Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            let r = Result { try body() }
            result.withLock { $0 = r }
            done.signal()
        }
        thread.start()
        done.wait()
        return try result.withLock { $0! }.get()
    }

    /// The smallest network input (16×16) works; a picture too small for DIS (a side under its
    /// 8-pixel patch, or both under 12) is a thrown MotionError with a one-line
    /// message, not a crash.
    func testSmallPictures() throws {
        let (tiny, moved) = Synthetic.pair(texture, .translation(1, 0), width: 16, height: 16)
        let pair = try PairMotion.estimate(from: tiny, to: moved)
        XCTAssertTrue(pair.forward.dx.allSatisfy(\.isFinite))
        for (width, height) in [(4, 100), (100, 7), (11, 11)] {
            let (small, _) = Synthetic.pair(texture, .translation(0, 0), width: width, height: height)
            XCTAssertThrowsError(try OpticalFlow().flow(from: small, to: small), "\(width)x\(height)") { error in
                XCTAssertTrue(error is MotionError)
                XCTAssertFalse("\(error)".contains("\n"), "\(error)")
            }
        }
    }
}
