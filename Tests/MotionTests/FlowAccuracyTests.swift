@testable import KinecolorMotion
import XCTest

/// Flow against motion known exactly: the second frame is the analytic texture (SyntheticMotion)
/// evaluated at moved coordinates, so there is no resampling error in the ground truth. The error
/// is the mean endpoint error (EPE) in pixels over 160×120 pixels, 8 px from the edges. The bounds
/// are about twice what the medium preset (the default then) measured when they were set: translation
/// 0.02, large translation 0.03, zoom 0.05, rotation 0.06–0.07, with grain 0.08–0.19.
final class FlowAccuracyTests: XCTestCase {
    let w = 160, h = 120
    var centre: (x: Double, y: Double) { (Double(w - 1) / 2, Double(h - 1) / 2) }
    let texture = Texture(seed: 7)

    func error(_ motion: Motion, preset: OpticalFlow.Preset = .medium,
               second: (LumaPlane) -> LumaPlane = { $0 }, first: (LumaPlane) -> LumaPlane = { $0 }) throws -> Double {
        let (a, b) = Synthetic.pair(texture, motion, width: w, height: h)
        let flow = try OpticalFlow(preset: preset).flow(from: first(a), to: second(b))
        return Synthetic.endpointError(flow, motion)
    }

    func testSubpixelTranslationWithin0_05px() throws {
        XCTAssertLessThan(try error(.translation(2.35, -1.6)), 0.05)
        XCTAssertLessThan(try error(.translation(0.5, 0.25)), 0.05)
    }

    func testLargeTranslationWithin0_08px() throws {
        XCTAssertLessThan(try error(.translation(-7.5, 4.25)), 0.08)
    }

    func testZoom5PercentWithin0_1px() throws {
        XCTAssertLessThan(try error(.zoom(1.05, cx: centre.x, cy: centre.y)), 0.1)
    }

    func testRotation3DegreesWithin0_15px() throws {
        XCTAssertLessThan(try error(.rotation(3, cx: centre.x, cy: centre.y)), 0.15)
    }

    /// The cheaper presets (the benchmark's ultrafast and fast) coarsen the flow to every 4th pixel
    /// and blur it: 0.1–0.4 px measured, bounded at 0.25 (translation) and 0.6 (zoom, rotation).
    func testEveryPresetRecoversTheMotions() throws {
        for preset in OpticalFlow.Preset.allCases {
            XCTAssertLessThan(try error(.translation(2.35, -1.6), preset: preset), 0.25, "\(preset)")
            XCTAssertLessThan(try error(.zoom(1.05, cx: centre.x, cy: centre.y), preset: preset), 0.6, "\(preset)")
            XCTAssertLessThan(try error(.rotation(3, cx: centre.x, cy: centre.y), preset: preset), 0.6, "\(preset)")
        }
    }

    /// Independent seeded grain of deviation 0.03 on each frame (half the texture's own deviation,
    /// 0.06: heavy grain): within 0.3 px for every motion.
    func testGrainWithin0_3px() throws {
        let motions: [Motion] = [.translation(2.35, -1.6), .zoom(1.05, cx: centre.x, cy: centre.y),
                                 .rotation(3, cx: centre.x, cy: centre.y)]
        for (i, motion) in motions.enumerated() {
            let e = try error(motion, second: { Synthetic.degraded($0, grain: 0.03, seed: 2) },
                              first: { Synthetic.degraded($0, grain: 0.03, seed: 1) })
            XCTAssertLessThan(e, 0.3, "motion \(i)")
        }
    }

    /// The second frame 10% brighter: the same bounds as without flicker, and within 0.01 px of the
    /// flicker-free error.
    func testFlickerDoesNotLookLikeMotion() throws {
        let motions: [(Motion, Double)] = [(.translation(2.35, -1.6), 0.05), (.zoom(1.05, cx: centre.x, cy: centre.y), 0.1),
                                           (.rotation(3, cx: centre.x, cy: centre.y), 0.15)]
        for (motion, bound) in motions {
            let steady = try error(motion)
            let flicker = try error(motion, second: { Synthetic.degraded($0, gain: 1.1) })
            XCTAssertLessThan(flicker, bound)
            XCTAssertLessThan(abs(flicker - steady), 0.01)
        }
    }

    /// A fade (gain 0.5, offset 0.1) with a small translation, and a fade with grain on both frames.
    func testFadeWithinTheSteadyBounds() throws {
        let shift = Motion.translation(2.35, -1.6)
        XCTAssertLessThan(try error(shift, second: { Synthetic.degraded($0, gain: 0.5, offset: 0.1) }), 0.05)
        XCTAssertLessThan(try error(.rotation(3, cx: centre.x, cy: centre.y),
                                    second: { Synthetic.degraded($0, gain: 0.5, offset: 0.1) }), 0.15)
        let grainy = try error(shift, second: { Synthetic.degraded($0, gain: 0.5, offset: 0.1, grain: 0.02, seed: 2) },
                               first: { Synthetic.degraded($0, grain: 0.03, seed: 1) })
        XCTAssertLessThan(grainy, 0.3)
    }

    /// The backward flow of a pair is the forward motion undone (within 0.1 px with fast, the
    /// default preset; medium stays under 0.05).
    func testBackwardFlowIsTheInverseMotion() throws {
        let (a, b) = Synthetic.pair(texture, .translation(2.35, -1.6), width: w, height: h)
        let pair = try PairMotion.estimate(from: a, to: b)
        XCTAssertLessThan(Synthetic.endpointError(pair.forward, .translation(2.35, -1.6)), 0.1)
        XCTAssertLessThan(Synthetic.endpointError(pair.backward, .translation(-2.35, 1.6)), 0.1)
    }
}
