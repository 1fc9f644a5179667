import KinecolorMotion
@testable import KinecolorTemporal
import XCTest

/// Carrying keyframes' chroma along the motion (KeyframePropagation) and smoothing along it.
final class KeyframePropagationTests: XCTestCase {
    func run(_ scene: MovingScene, frames count: Int, keyframes: [Int]) throws -> ([ChromaFrame], [Int]) {
        let oracle = MovingScene.Oracle(scene)
        var propagation = KeyframePropagation(keyframes: keyframes)
        var out: [ChromaFrame] = []
        for frame in try scene.frames(count) { out += try propagation.push(frame, network: oracle.colorize) }
        out += try propagation.flush(network: oracle.colorize)
        return (out, oracle.calls)
    }

    /// The colors of a moving pattern stay on it between keyframes: within 1.5 a/b units of the
    /// truth (the chroma spans ±30), where leaving the keyframe's chroma in place is off by far more.
    func testMovingPatternKeepsItsColorsBetweenKeyframes() throws {
        let scene = MovingScene()
        let (out, calls) = try run(scene, frames: 10, keyframes: [0, 9])
        XCTAssertEqual(out.map { $0.width }.count, 10, "every frame comes back, in order")
        XCTAssertEqual(calls, [0, 9], "the network colorizes only the keyframes here")
        let key = scene.truth(0)
        for t in 1..<9 {
            let carried = scene.error(out[t], t: t)
            let inPlace = scene.error(ChromaFrame(width: scene.width, height: scene.height, luma: scene.luma(t),
                                                  a: key.a, b: key.b), t: t)
            XCTAssertLessThan(carried, 1.5, "frame \(t)")
            XCTAssertLessThan(carried, inPlace / 4, "frame \(t): carried along the motion, not in place")
        }
    }

    /// Something that enters the picture between keyframes takes the network's own color for that
    /// frame (the fill), not the background's color smeared over it.
    func testNewContentTakesTheNetworksColor() throws {
        let scene = MovingScene(velocity: (1, 0), patchFrom: 4)
        let (out, calls) = try run(scene, frames: 8, keyframes: [0])
        XCTAssertTrue(calls.contains(4), "the frame where the patch appears is colorized by the network (calls \(calls))")
        let inner = { (x: Int, y: Int) in (60..<76).contains(x) && (24..<40).contains(y) }
        for t in 4..<8 {
            XCTAssertLessThan(scene.error(out[t], t: t, region: inner), 8, "frame \(t): the patch has its own color")
        }
        // And without the fill the patch would be background color: the check above is not vacuous.
        let background = scene.truth(3)
        var smear = out[4]
        smear.a = background.a
        smear.b = background.b
        XCTAssertGreaterThan(scene.error(smear, t: 4, region: inner), 40)
    }

    /// Occluded pixels get no weight: the backward chain from the next keyframe covers what the
    /// previous one cannot see, so a keyframe after the patch appeared also colors it.
    func testTheNextKeyframeColorsWhatTheFirstCannotSee() throws {
        let scene = MovingScene(velocity: (1, 0), patchFrom: 2)
        let (out, _) = try run(scene, frames: 6, keyframes: [0, 5])
        let inner = { (x: Int, y: Int) in (60..<76).contains(x) && (24..<40).contains(y) }
        for t in 2..<5 {
            XCTAssertLessThan(scene.error(out[t], t: t, region: inner), 8, "frame \(t)")
        }
    }

    /// Every frame a keyframe is the network on every frame, bit for bit.
    func testAllKeyframesIsTheNetworkEverywhere() throws {
        let scene = MovingScene()
        let (out, calls) = try run(scene, frames: 5, keyframes: [0, 1, 2, 3, 4])
        XCTAssertEqual(calls, [0, 1, 2, 3, 4])
        for t in 0..<5 { XCTAssertEqual(out[t].a, scene.truth(t).a) }
    }

    /// Output depends only on the frames from the keyframe before to the keyframe after: pushing
    /// just those (as a preview does) gives the same bits as pushing the whole shot.
    func testAPartialRunFromAKeyframeGivesTheSameBits() throws {
        let scene = MovingScene()
        let frames = try scene.frames(14)
        let oracle = MovingScene.Oracle(scene)
        var whole = KeyframePropagation(keyframes: [0, 6, 12])
        var all: [ChromaFrame] = []
        for f in frames { all += try whole.push(f, network: oracle.colorize) }
        all += try whole.flush(network: oracle.colorize)
        var part = KeyframePropagation(keyframes: [0, 6, 12])
        var some: [ChromaFrame] = []
        for f in frames[6...12] { some += try part.push(f, network: oracle.colorize) }
        some += try part.flush(network: oracle.colorize)
        XCTAssertEqual(Array(all[6...12]), some)
    }

    /// The smoother brings neighbours onto the center along the flow: per-frame chroma noise on a
    /// moving pattern is averaged away, where comparing in place (no motion) cannot.
    func testSmoothingAlongTheMotionAveragesAMovingPattern() throws {
        let scene = MovingScene(velocity: (2.5, 1))
        let frames = try scene.frames(7)
        var rng = TestRNG(state: 7)
        let noisy = frames.map { f -> ChromaFrame in
            var (a, b) = scene.truth(f.index)
            for p in a.indices {
                a[p] += 6 * rng.symmetric()
                b[p] += 6 * rng.symmetric()
            }
            return ChromaFrame(width: f.width, height: f.height, luma: f.luma, a: a, b: b, motion: f.motion)
        }
        let filter = TemporalFilter(radius: 3)
        let along = filter.smooth(window: noisy, center: 3)
        let inPlace = filter.smooth(window: noisy.map { var f = $0; f.motion = nil; return f }, center: 3)
        let before = scene.error(noisy[3], t: 3), afterAlong = scene.error(along, t: 3), afterInPlace = scene.error(inPlace, t: 3)
        XCTAssertLessThan(afterAlong, 0.6 * before, "along the motion: \(before) → \(afterAlong)")
        XCTAssertLessThan(afterAlong, 0.8 * afterInPlace, "in place: \(afterInPlace)")
    }
}
