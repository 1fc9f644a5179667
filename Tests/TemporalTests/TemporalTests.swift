@testable import KinecolorTemporal
import XCTest

/// SplitMix64: deterministic numbers for the tests.
struct TestRNG {
    var state: UInt64
    mutating func unit() -> Float {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Float((z ^ (z >> 31)) >> 40) / Float(1 << 24)
    }
    mutating func symmetric() -> Float { unit() * 2 - 1 }
}

final class TemporalTests: XCTestCase {
    let w = 24, h = 16

    func randomFrames(_ count: Int, seed: UInt64) -> [ChromaFrame] {
        var rng = TestRNG(state: seed)
        return (0..<count).map { _ in
            ChromaFrame(width: w, height: h,
                        luma: (0..<(w * h)).map { _ in rng.unit() },
                        a: (0..<(w * h)).map { _ in rng.symmetric() },
                        b: (0..<(w * h)).map { _ in rng.symmetric() })
        }
    }

    /// A static textured luma (gradient + squares) with optional per-frame gain and grain.
    func staticLuma(gain: Float = 1, grain: Float = 0, rng: inout TestRNG) -> [Float] {
        (0..<(w * h)).map { p in
            let x = p % w, y = p / w
            let base: Float = 0.2 + 0.5 * Float(x) / Float(w) + ((x / 6 + y / 4) % 2 == 0 ? 0.15 : 0)
            return base * gain + grain * rng.symmetric()
        }
    }

    /// Runs the streaming smoother over frames with their shot indices.
    func stream(_ frames: [ChromaFrame], shots: [Int], radius: Int) -> [ChromaFrame] {
        var smoother = TemporalSmoother(radius: radius)
        var out: [ChromaFrame] = []
        for (frame, shot) in zip(frames, shots) {
            out += smoother.push(frame, shot: shot)
            XCTAssertLessThanOrEqual(smoother.heldCount, 2 * radius + 1)
        }
        out += smoother.flush()
        XCTAssertEqual(out.count, frames.count)
        return out
    }

    /// Mean squared frame-to-frame change of the `a` plane.
    func temporalVariation(_ frames: [ChromaFrame]) -> Float {
        var sum: Float = 0
        for k in 1..<frames.count {
            for p in 0..<(w * h) { sum += pow(frames[k].a[p] - frames[k - 1].a[p], 2) }
        }
        return sum / Float((frames.count - 1) * w * h)
    }

    func testRadiusZeroIsIdentityWithoutDelay() {
        let frames = randomFrames(6, seed: 1)
        var smoother = TemporalSmoother(radius: 0)
        for (k, frame) in frames.enumerated() {
            XCTAssertEqual(smoother.push(frame, shot: k / 3), [frame])
        }
        XCTAssertEqual(smoother.flush(), [])
        XCTAssertEqual(TemporalFilter(radius: 0).smooth(window: frames, center: 2), frames[2])
    }

    func testConstantChromaStaysConstant() {
        var frames = randomFrames(12, seed: 2)   // random luma: weights all over the place
        for k in frames.indices {
            frames[k].a = Array(repeating: 0.3, count: w * h)
            frames[k].b = Array(repeating: -0.2, count: w * h)
        }
        for frame in stream(frames, shots: Array(repeating: 0, count: 12), radius: 3) {
            for p in 0..<(w * h) {
                XCTAssertEqual(frame.a[p], 0.3, accuracy: 1e-6)
                XCTAssertEqual(frame.b[p], -0.2, accuracy: 1e-6)
            }
        }
    }

    func testFlickeringChromaOnStaticLumaIsSteadied() {
        // Chroma jumps by +-0.1 at random every frame; the picture does not move, but
        // its luma flickers (+-15% gain) and has grain, as film does.
        var rng = TestRNG(state: 3)
        let frames = (0..<40).map { _ -> ChromaFrame in
            let luma = staticLuma(gain: 1 + 0.15 * rng.symmetric(), grain: 0.03, rng: &rng)
            let jitter = 0.1 * rng.symmetric()
            return ChromaFrame(width: w, height: h, luma: luma,
                               a: Array(repeating: 0.2 + jitter, count: w * h),
                               b: Array(repeating: -0.1, count: w * h))
        }
        let smoothed = stream(frames, shots: Array(repeating: 0, count: 40), radius: 3)
        let before = temporalVariation(frames), after = temporalVariation(smoothed)
        XCTAssertLessThan(after, before / 10, "variation \(before) -> \(after)")
    }

    func testNothingCrossesACut() {
        let frames = randomFrames(20, seed: 4)
        let shots = Array(repeating: 0, count: 9) + Array(repeating: 1, count: 11)
        let both = stream(frames, shots: shots, radius: 3)
        let first = stream(Array(frames[0..<9]), shots: Array(shots[0..<9]), radius: 3)
        let second = stream(Array(frames[9...]), shots: Array(shots[9...]), radius: 3)
        XCTAssertEqual(both, first + second)   // bit for bit
        // And the cut does matter: smoothing the last frame of shot 0 with the next
        // shot's frames would give something else.
        XCTAssertNotEqual(both[8], TemporalFilter(radius: 3).smooth(window: Array(frames[5...11]), center: 3))
    }

    func testMovingSquareLeavesNoGhost() {
        // A bright 6x6 square with its own chroma moves 3 px/frame over a dark background.
        let background: (l: Float, a: Float, b: Float) = (0.1, -0.3, 0.2)
        let square: (l: Float, a: Float, b: Float) = (0.9, 0.4, 0.4)
        func inSquare(_ p: Int, _ k: Int) -> Bool {
            let x = p % w, y = p / w, x0 = 1 + 3 * k
            return x >= x0 && x < x0 + 6 && y >= 5 && y < 11
        }
        let frames = (0..<6).map { k in
            ChromaFrame(width: w, height: h,
                        luma: (0..<(w * h)).map { inSquare($0, k) ? square.l : background.l },
                        a: (0..<(w * h)).map { inSquare($0, k) ? square.a : background.a },
                        b: (0..<(w * h)).map { inSquare($0, k) ? square.b : background.b })
        }
        let smoothed = stream(frames, shots: Array(repeating: 0, count: 6), radius: 3)
        for (k, frame) in smoothed.enumerated() {
            for p in 0..<(w * h) {
                let expected = inSquare(p, k) ? square : background
                XCTAssertEqual(frame.a[p], expected.a, accuracy: 1e-3, "frame \(k) pixel \(p)")
                XCTAssertEqual(frame.b[p], expected.b, accuracy: 1e-3, "frame \(k) pixel \(p)")
            }
        }
    }

    func testStreamingEqualsPureFunctionBitForBit() {
        let frames = randomFrames(17, seed: 5)
        let shots = [0, 0, 0, 0, 0, 0, 0, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2]
        let radius = 2
        let filter = TemporalFilter(radius: radius)
        let streamed = stream(frames, shots: shots, radius: radius)
        for k in frames.indices {
            // The preview's view: the same-shot neighbours within the radius.
            var lo = k, hi = k
            while lo > 0, k - lo < radius, shots[lo - 1] == shots[k] { lo -= 1 }
            while hi < frames.count - 1, hi - k < radius, shots[hi + 1] == shots[k] { hi += 1 }
            let expected = filter.smooth(window: Array(frames[lo...hi]), center: k - lo)
            XCTAssertEqual(streamed[k], expected, "frame \(k)")
            XCTAssertEqual(streamed[k].luma, frames[k].luma)
        }
        // A longer window gives the same bits: frames past the radius are ignored.
        XCTAssertEqual(filter.smooth(window: Array(frames[8...16]), center: 4), streamed[12])
    }

    func testOutputLagsByRadius() {
        let frames = randomFrames(8, seed: 6)
        var smoother = TemporalSmoother(radius: 3)
        let counts = frames.map { smoother.push($0, shot: 0).count }
        XCTAssertEqual(counts, [0, 0, 0, 1, 1, 1, 1, 1])
        XCTAssertEqual(smoother.flush().count, 3)
    }

    func testBoxBlurKeepsConstantsAndAverages() {
        XCTAssertEqual(boxBlur(Array(repeating: 0.5, count: 12), width: 4, height: 3, radius: 1),
                       Array(repeating: 0.5, count: 12))
        let center = boxBlur([0, 0, 0, 0, 9, 0, 0, 0, 0], width: 3, height: 3, radius: 1)
        XCTAssertEqual(center, Array(repeating: 1, count: 9))
        // Edges are replicated: a corner value is counted 4 times in its own window.
        let corner = boxBlur([9, 0, 0, 0, 0, 0, 0, 0, 0], width: 3, height: 3, radius: 1)
        XCTAssertEqual(corner[0], 4, accuracy: 1e-6)
        XCTAssertEqual(corner[8], 0, accuracy: 1e-6)
        // Running sums agree with the plain mean at a radius wider than the picture is tall.
        let (w, h, r) = (23, 7, 9)
        let plane = (0..<(w * h)).map { Float(($0 * 37) % 11) / 10 }
        let blurred = boxBlur(plane, width: w, height: h, radius: r)
        for y in 0..<h {
            for x in 0..<w {
                var sum: Float = 0
                for dy in -r...r { for dx in -r...r { sum += plane[min(h - 1, max(0, y + dy)) * w + min(w - 1, max(0, x + dx))] } }
                XCTAssertEqual(blurred[y * w + x], sum / Float((2 * r + 1) * (2 * r + 1)), accuracy: 1e-5, "(\(x), \(y))")
            }
        }
    }
}
