import XCTest
@testable import KinecolorShots

final class SetupFinderTests: XCTestCase {
    /// Frames of `scene` with the camera panning one pixel per frame from `x`.
    private func pan(_ scene: Scene, from x: Int, count: Int) -> [[UInt16]] {
        (0..<count).map { samples(scene.frame(x: x + $0, y: 20)) }
    }

    /// Runs the frames through the detector and the finder, as the analysis pass does.
    private func setups(_ frames: [[UInt16]], knownStarts: [Int]? = nil) -> (shots: [Shot], setups: [Int]) {
        var detector = ShotDetector()
        var finder = SetupFinder(delay: knownStarts == nil ? detector.options.confirmationDelay : 0)
        for (i, y) in frames.enumerated() {
            y.withUnsafeBufferPointer { finder.push(luma: $0, width: 160, height: 120, maxValue: 1023) }
            let cut = detector.push(luma: y, width: 160, height: 120, maxValue: 1023)
            if let starts = knownStarts {
                if i > 0 && starts.contains(i) { finder.cut(at: i) }
            } else if let cut {
                finder.cut(at: cut)
            }
        }
        var shots = detector.finish()
        if let starts = knownStarts {
            shots = zip(starts, starts.dropFirst() + [frames.count]).map { Shot(start: $0, end: $1) }
        }
        return (shots, finder.finish(shots: shots))
    }

    /// A dialogue cut A B A C B: the returning angles share a setup, whether the cuts come from
    /// the detector (late) or are known beforehand.
    func testReturningAnglesShareASetup() {
        let a = Scene(seed: 11), b = Scene(seed: 12), c = Scene(seed: 13)
        let film = pan(a, from: 0, count: 20) + pan(b, from: 0, count: 20) + pan(a, from: 24, count: 20)
            + pan(c, from: 0, count: 20) + pan(b, from: 26, count: 20)
        let found = setups(film)
        XCTAssertEqual(found.shots.map(\.start), [0, 20, 40, 60, 80])
        XCTAssertEqual(found.setups, [0, 1, 0, 2, 1])
        XCTAssertEqual(setups(film, knownStarts: [0, 20, 40, 60, 80]).setups, [0, 1, 0, 2, 1])
    }

    /// Flat pictures (black leader, a fade's end) match each other but say nothing about the
    /// setup: each black shot is a setup of its own.
    func testFlatShotsAreNotGrouped() {
        let black = [[UInt16]](repeating: [UInt16](repeating: 64, count: 160 * 120), count: 20)
        let a = Scene(seed: 21)
        let film = black + pan(a, from: 0, count: 20) + black
        XCTAssertEqual(setups(film, knownStarts: [0, 20, 40]).setups, [0, 1, 2])
    }

    /// A shot shorter than the looks' inset still gets looks (and its setup).
    func testAVeryShortShotGetsItsSetup() {
        let a = Scene(seed: 31), b = Scene(seed: 32)
        let film = pan(a, from: 0, count: 10) + pan(b, from: 0, count: 2) + pan(a, from: 10, count: 10) + pan(b, from: 2, count: 10)
        XCTAssertEqual(setups(film, knownStarts: [0, 10, 12, 22]).setups, [0, 1, 0, 1])
    }
}
