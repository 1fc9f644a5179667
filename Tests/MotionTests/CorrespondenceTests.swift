@testable import KinecolorMotion
import XCTest

/// Chains of known flows: positions compose exactly (up to float rounding, 1e-4 px), confidences
/// multiply, and a chain that leaves the picture is not trusted.
final class CorrespondenceTests: XCTestCase {
    let w = 40, h = 30

    func constant(_ dx: Float, _ dy: Float) -> FlowField {
        FlowField(width: w, height: h, dx: .init(repeating: dx, count: w * h), dy: .init(repeating: dy, count: w * h))
    }

    /// The flow of a zoom by `s` about the picture's centre (linear in position, so bilinear
    /// sampling of it is exact).
    func zoom(_ s: Float) -> FlowField {
        let cx = Float(w - 1) / 2, cy = Float(h - 1) / 2
        return FlowField(width: w, height: h, dx: (0..<(w * h)).map { (s - 1) * (Float($0 % w) - cx) },
                         dy: (0..<(w * h)).map { (s - 1) * (Float($0 / w) - cy) })
    }

    var ones: [Float] { .init(repeating: 1, count: w * h) }

    /// Within `margin` of the outermost pixel centres.
    func onPicture(_ x: Float, _ y: Float, margin: Float = 0.5) -> Bool {
        x >= -margin && y >= -margin && x <= Float(w - 1) + margin && y <= Float(h - 1) + margin
    }

    func testIdentityWarpIsExact() {
        var rng = SeededRandom(state: 4)
        let plane = (0..<(w * h)).map { _ in Float(rng.unit()) }
        let identity = Correspondence.identity(width: w, height: h)
        XCTAssertEqual(identity.warp(plane), plane)
        XCTAssertEqual(identity.confidence, ones)
        XCTAssertEqual(identity.share(below: 0.5), 0)
    }

    /// Frame k, then t1 one frame away (flow t1 → k is (2.5, −1.25)), then t2 (flow t2 → t1 is
    /// (0.75, 0.5)): t2's pixels land at their position plus (3.25, −0.75) in k.
    func testReachedChainsComposeToTheSum() {
        let chain = Correspondence.identity(width: w, height: h)
            .reached(from: constant(2.5, -1.25), confidence: ones)
            .reached(from: constant(0.75, 0.5), confidence: ones)
        check(chain, total: (3.25, -0.75), steps: [(0.75, 0.5), (3.25, -0.75)])
    }

    /// Frame c looks two frames away: flow c → u1 is (−1.5, 2.25), u1 → u2 is (−2.75, 0.5).
    func testExtendedChainsComposeToTheSum() {
        let chain = Correspondence.identity(width: w, height: h)
            .extended(by: constant(-1.5, 2.25), confidence: ones)
            .extended(by: constant(-2.75, 0.5), confidence: ones)
        check(chain, total: (-4.25, 2.75), steps: [(-1.5, 2.25), (-4.25, 2.75)])
    }

    /// Positions are the sum where every step stays on the picture, and confidence is 1 there
    /// (a pixel away from the edge, where the bilinear confidence is not blended with an edge).
    /// A chain whose end or any step on the way leaves the picture is never fully trusted, and not
    /// at all once it is more than a pixel off: within that pixel, bilinear sampling blends the
    /// trust of the last pixel on the picture with the first one off it (0.25 to 0.5 here).
    func check(_ chain: Correspondence, total: (Float, Float), steps: [(Float, Float)]) {
        for y in 0..<h {
            for x in 0..<w {
                let p = y * w + x, fx = Float(x), fy = Float(y)
                let end = (fx + total.0, fy + total.1)
                let off = steps.contains { !onPicture(fx + $0.0, fy + $0.1) }
                let farOff = steps.contains { !onPicture(fx + $0.0, fy + $0.1, margin: 1.5) }
                let inside = steps.allSatisfy { fx + $0.0 >= 1 && fy + $0.1 >= 1 && fx + $0.0 <= Float(w - 2) && fy + $0.1 <= Float(h - 2) }
                if farOff {
                    XCTAssertEqual(chain.confidence[p], 0, "(\(x), \(y)) ends at \(end), off the picture")
                } else if off {
                    XCTAssertLessThan(chain.confidence[p], 1, "(\(x), \(y)) ends at \(end), off the picture")
                } else if inside {
                    XCTAssertEqual(chain.x[p], end.0, accuracy: 1e-4, "(\(x), \(y))")
                    XCTAssertEqual(chain.y[p], end.1, accuracy: 1e-4, "(\(x), \(y))")
                    XCTAssertEqual(chain.confidence[p], 1, "(\(x), \(y))")
                }
            }
        }
    }

    /// Two zooms (1.05 then 1.1 about the centre) compose to a zoom by 1.155, both ways of growing
    /// a chain; the trust of each step multiplies (0.8 × 0.5).
    func testZoomsComposeAndConfidencesMultiply() {
        let cx = Float(w - 1) / 2, cy = Float(h - 1) / 2
        let first = [Float](repeating: 0.8, count: w * h), second = [Float](repeating: 0.5, count: w * h)
        let far = Correspondence.identity(width: w, height: h)
            .extended(by: zoom(1.05), confidence: first).extended(by: zoom(1.1), confidence: second)
        let near = Correspondence.identity(width: w, height: h)
            .reached(from: zoom(1.1), confidence: second).reached(from: zoom(1.05), confidence: first)
        for chain in [far, near] {
            for y in 8..<(h - 8) {
                for x in 8..<(w - 8) {
                    let p = y * w + x
                    XCTAssertEqual(chain.x[p], cx + 1.155 * (Float(x) - cx), accuracy: 1e-4)
                    XCTAssertEqual(chain.y[p], cy + 1.155 * (Float(y) - cy), accuracy: 1e-4)
                    XCTAssertEqual(chain.confidence[p], 0.4, accuracy: 1e-6)
                }
            }
        }
    }

    /// Warping a ramp along a chain reads back the chain's positions (the warp samples where the
    /// chain points), and a chain through an untrusted step is untrusted.
    func testWarpFollowsTheChain() {
        let ramp = (0..<(w * h)).map { Float($0 % w) }
        let chain = Correspondence.identity(width: w, height: h).reached(from: constant(1.5, 0), confidence: ones)
        let warped = chain.warp(ramp)
        for p in 0..<(w * h) where p % w < w - 3 { XCTAssertEqual(warped[p], Float(p % w) + 1.5, accuracy: 1e-5) }
        var trust = ones
        trust[5 * w + 5] = 0
        let broken = Correspondence.identity(width: w, height: h).reached(from: constant(2, 0), confidence: ones)
            .extended(by: constant(0, 0), confidence: trust)
        XCTAssertEqual(broken.confidence[5 * w + 3], 0, "pixel 3 lands on the untrusted pixel 5")
        XCTAssertEqual(broken.confidence[5 * w + 5], 1, "the step's trust is read where the chain is")
        XCTAssertEqual(chain.extended(by: constant(0, 0), confidence: trust).confidence[5 * w + 4], 0.5, accuracy: 1e-6,
                       "pixel 4 lands at 5.5, between untrusted and trusted")
    }
}
