import Foundation
import KinecolorShots
import XCTest

/// The shot around one frame, found from a stretch of the film around it (`LocalCuts`), is the one
/// a detection of the whole film finds, on a film whose cuts come closer than the shortest shot
/// (rule 4 drops some candidates, so what came before matters) and one of them near its end.
final class LocalCutsTests: XCTestCase {
    let w = 160, h = 120

    /// Shots of 20, 3, 12, … frames, each a slowly moving view of its own scene, with grain.
    func film() -> [[UInt16]] {
        let lengths = [20, 3, 12, 5, 9, 30, 2, 2, 15, 7, 25, 6]
        var rng = SplitMix64(state: 7)
        var frames: [[UInt16]] = []
        for (k, n) in lengths.enumerated() {
            let scene = Scene(seed: UInt64(100 + k))
            for i in 0..<n {
                let view = scene.frame(x: i * 2 % 100, y: i % 40)
                frames.append(view.map { UInt16((min(1, max(0, $0 + 0.01 * rng.normal())) * 1023).rounded()) })
            }
        }
        return frames
    }

    func testTheShotAroundAFrameIsTheOneTheWholeFilmHas() throws {
        let frames = film(), options = ShotDetector.Options()
        var whole = ShotDetector(options: options)
        for f in frames { whole.push(luma: f, width: w, height: h, maxValue: 1023) }
        let shots = whole.finish()
        XCTAssertGreaterThanOrEqual(shots.count, 6, "the film has cuts")
        XCTAssertTrue(shots.allSatisfy { $0.range.count >= options.minShotLength }, "and rule 4 dropped the closer ones")
        var someLocal = false
        for reach in [1, 6, 40] {
            for t in frames.indices {
                var read = 0
                let found = try LocalCuts.findShot(containing: t, count: frames.count, options: options, reach: reach, feed: { range, detector in
                    for i in range { detector.push(luma: frames[i], width: w, height: h, maxValue: 1023) }
                    read = max(read, range.count)
                    return range.count
                }, endsThere: { true })
                XCTAssertEqual(found, shots.first { $0.range.contains(t) }?.range, "frame \(t), reach \(reach)")
                if read < frames.count / 2 { someLocal = true }
            }
        }
        XCTAssertTrue(someLocal, "no stretch was shorter than the film: nothing local was tested")
    }

    /// A film that turns out shorter than its stated count, or longer, is not answered for.
    func testAFilmOfAnotherLengthThanStatedGetsNoAnswer() throws {
        let frames = film(), options = ShotDetector.Options()
        func find(_ t: Int, stated: Int, endsThere: Bool) throws -> Range<Int>? {
            try LocalCuts.findShot(containing: t, count: stated, options: options, reach: 10, feed: { range, detector in
                let have = range.clamped(to: 0..<frames.count)
                for i in have { detector.push(luma: frames[i], width: w, height: h, maxValue: 1023) }
                return have.count
            }, endsThere: { endsThere })
        }
        XCTAssertNotNil(try find(frames.count - 3, stated: frames.count, endsThere: true))
        XCTAssertNil(try find(frames.count - 3, stated: frames.count + 5, endsThere: true), "fewer frames than stated")
        XCTAssertNil(try find(frames.count - 3, stated: frames.count, endsThere: false), "more frames than stated")
    }
}
