import KinecolorMotion
@testable import KinecolorTemporal
import XCTest

/// Carrying a restorer's reference frames through a shot (`KeyframePropagation(references:)`).
final class ReferencePropagationTests: XCTestCase {
    /// The frames of `scene`, pushed in order: `reference(t)` gives the painted chroma of the
    /// reference frames, `fill` the network's for every other frame it is asked for.
    func run(_ scene: MovingScene, frames count: Int, references: [Int], reachBack: Int = KeyframePropagation.referenceReachBack,
             reference: @escaping (Int) -> (a: [Float], b: [Float]), fill: @escaping (Int) -> (a: [Float], b: [Float]))
        throws -> (out: [ChromaFrame], fills: [Int]) {
        var fills: [Int] = []
        let source: KeyframePropagation.Network = { f in
            let (a, b): ([Float], [Float])
            if references.contains(f.index) { (a, b) = reference(f.index) } else { fills.append(f.index); (a, b) = fill(f.index) }
            return ChromaFrame(width: f.width, height: f.height, luma: f.luma, a: a, b: b)
        }
        var propagation = KeyframePropagation(references: references, reachBack: reachBack)
        var out: [ChromaFrame] = []
        for frame in try scene.frames(count) { out += try propagation.push(frame, network: source) }
        out += try propagation.flush(network: source)
        return (out, fills)
    }

    /// A network that is wrong everywhere: a flat color far from the truth.
    func wrong(_ scene: MovingScene) -> (Int) -> (a: [Float], b: [Float]) {
        { _ in ([Float](repeating: -25, count: scene.width * scene.height), [Float](repeating: 25, count: scene.width * scene.height)) }
    }

    /// One reference in the middle of a moving shot: its colors reach every frame, backwards and
    /// forwards, within 2 a/b units of the truth, though the network would be off by ~50.
    func testOneReferenceColorsAMovingPatternBothWays() throws {
        let scene = MovingScene()
        let (out, _) = try run(scene, frames: 11, references: [5], reference: scene.truth, fill: wrong(scene))
        XCTAssertEqual(out.count, 11, "every frame comes back, in order")
        for t in 0..<11 {
            XCTAssertLessThan(scene.error(out[t], t: t), 2, "frame \(t)")
        }
        XCTAssertEqual(out[5].a, scene.truth(5).a, "the reference frame is the reference")
        XCTAssertTrue(out[5].settled, "and the smoother leaves it as painted")
        let network = ChromaFrame(width: scene.width, height: scene.height, luma: scene.luma(2),
                                  a: wrong(scene)(2).a, b: wrong(scene)(2).b)
        XCTAssertGreaterThan(scene.error(network, t: 2), 40, "the check is not vacuous")
    }

    /// Something that enters after the reference frame takes the fill's color (here the truth),
    /// not the background's smeared over it.
    func testAnObjectEnteringAfterTheReferenceTakesTheFill() throws {
        let scene = MovingScene(velocity: (1, 0), patchFrom: 4)
        let (out, fills) = try run(scene, frames: 8, references: [0], reference: scene.truth, fill: scene.truth)
        XCTAssertTrue(fills.contains(4), "the frame where the patch appears is filled (fills \(fills))")
        let inner = { (x: Int, y: Int) in (60..<76).contains(x) && (24..<40).contains(y) }
        for t in 4..<8 {
            XCTAssertLessThan(scene.error(out[t], t: t, region: inner), 8, "frame \(t): the patch has its own color")
        }
    }

    /// Two references in one shot hand over from one to the other: painted +12 and -12 off the
    /// truth in a, each frame's offset moves steadily from the first's toward the second's.
    func testTwoReferencesBlendByDistance() throws {
        let scene = MovingScene()
        func shifted(_ by: Float) -> (Int) -> (a: [Float], b: [Float]) {
            { t in let (a, b) = scene.truth(t); return (a.map { $0 + by }, b) }
        }
        let (out, _) = try run(scene, frames: 10, references: [0, 9],
                               reference: { $0 == 0 ? shifted(12)($0) : shifted(-12)($0) }, fill: wrong(scene))
        func offset(_ t: Int) -> Float {
            let truth = scene.truth(t).a
            var sum: Float = 0, n: Float = 0
            for y in 8..<(scene.height - 8) { for x in 8..<(scene.width - 8) { sum += out[t].a[y * scene.width + x] - truth[y * scene.width + x]; n += 1 } }
            return sum / n
        }
        let offsets = (0..<10).map(offset)
        XCTAssertEqual(offsets[0], 12, accuracy: 0.5)
        XCTAssertEqual(offsets[9], -12, accuracy: 0.5)
        for t in 1..<10 { XCTAssertLessThan(offsets[t], offsets[t - 1], "offsets \(offsets)") }
        XCTAssertEqual(offsets[4] + offsets[5], 0, accuracy: 4, "the middle is between the two")
    }

    /// A frame waits for the next reference only when it is within `reachBack`: frames farther
    /// before it come back at once (memory stays bounded), filled by the network alone; the
    /// frames within reach wait and get the reference's colors.
    func testFramesFarBeforeAReferenceDoNotWaitForIt() throws {
        let scene = MovingScene()
        let frames = try scene.frames(21)
        let wrong = self.wrong(scene)
        let source: KeyframePropagation.Network = { f in
            let (a, b) = f.index == 20 ? scene.truth(20) : wrong(f.index)
            return ChromaFrame(width: f.width, height: f.height, luma: f.luma, a: a, b: b)
        }
        var propagation = KeyframePropagation(references: [20], reachBack: 8)
        var out: [ChromaFrame] = []
        for f in frames[0..<20] { out += try propagation.push(f, network: source) }
        XCTAssertEqual(out.count, 12, "frames 0…11 are out before frame 20 arrives")
        out += try propagation.push(frames[20], network: source)
        XCTAssertEqual(out.count, 21)
        for t in 0..<12 { XCTAssertGreaterThan(scene.error(out[t], t: t), 40, "frame \(t): the network's alone") }
        for t in 12..<21 { XCTAssertLessThan(scene.error(out[t], t: t), 2, "frame \(t): the reference's colors") }
    }

    /// Without references nothing changed: a shot whose first frame is not a keyframe starts over
    /// there (the network colorizes it).
    func testNetworkKeyframesStillStartOverWhereNothingLinks() throws {
        let scene = MovingScene()
        let oracle = MovingScene.Oracle(scene)
        var propagation = KeyframePropagation(keyframes: [3])
        let frames = try scene.frames(5)
        var out: [ChromaFrame] = []
        for f in frames[1...] {
            var f = f
            if f.index == 1 { f = LumaFrame(index: 1, width: f.width, height: f.height, luma: f.luma, motion: nil) }
            out += try propagation.push(f, network: oracle.colorize)
        }
        out += try propagation.flush(network: oracle.colorize)
        XCTAssertEqual(oracle.calls.first, 1)
        XCTAssertEqual(out.count, 4)
    }
}
