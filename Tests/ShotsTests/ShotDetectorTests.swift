import KinecolorShots
import XCTest

final class ShotDetectorTests: XCTestCase {
    let w = 160, h = 120

    /// Runs a detector over [0, 1] frames and returns the shots and the
    /// (frame pushed, cut reported) pairs that push() returned on the way.
    func detect(_ frames: [[Double]], options: ShotDetector.Options = .init())
        -> (shots: [Shot], reports: [(at: Int, cut: Int)])
    {
        var detector = ShotDetector(options: options)
        var reports: [(Int, Int)] = []
        for (index, frame) in frames.enumerated() {
            if let cut = detector.push(luma: samples(frame), width: w, height: h, maxValue: 1023) {
                reports.append((index, cut))
            }
        }
        return (detector.finish(), reports)
    }

    /// `count` frames of a scene with a small camera drift, so shots are not static.
    func shot(_ scene: Scene, _ count: Int, drift: Int = 1) -> [[Double]] {
        (0..<count).map { scene.frame(x: 10 + $0 * drift % 100, y: 10) }
    }

    func testHardCutIsFoundAtTheRightFrameAndReportedLate() {
        let a = Scene(seed: 1), b = Scene(seed: 2)
        let result = detect(shot(a, 30) + shot(b, 30))
        XCTAssertEqual(result.shots, [Shot(start: 0, end: 30), Shot(start: 30, end: 60)])
        // Reported once minShotLength (8) frames of the new shot exist.
        XCTAssertEqual(result.reports.map(\.cut), [30])
        XCTAssertEqual(result.reports.first?.at, 37)
    }

    func testCutBetweenSimilarShotsOfOneSceneIsFound() {
        // A jump cut: same picture, camera jumps 60 px to the side.
        let a = Scene(seed: 3)
        let frames = (0..<25).map { a.frame(x: 10 + $0, y: 20) } + (0..<25).map { a.frame(x: 100 + $0, y: 40) }
        XCTAssertEqual(detect(frames).shots.map(\.start), [0, 25])
    }

    func testFlickerIsNotACut() {
        let a = Scene(seed: 4)
        var rng = SplitMix64(state: 99)
        let frames = shot(a, 80).map { frame -> [Double] in
            let gain = 1 + (rng.unit() * 2 - 1) * 0.15   // +-15% per frame
            let offset = (rng.unit() * 2 - 1) * 0.03
            return frame.map { $0 * gain + offset }
        }
        XCTAssertEqual(detect(frames).shots, [Shot(start: 0, end: 80)])
    }

    func testGrainIsNotACut() {
        let a = Scene(seed: 5)
        var rng = SplitMix64(state: 7)
        let frames = shot(a, 80).map { frame in frame.map { $0 + 0.08 * rng.normal() } }
        XCTAssertEqual(detect(frames).shots, [Shot(start: 0, end: 80)])
    }

    func testLinearFadeThroughBlackIsNotACut() {
        // 20-frame fade out to exact black, black, 20-frame fade in of another scene.
        let a = shot(Scene(seed: 6), 40), b = shot(Scene(seed: 7), 40)
        var frames = Array(a[0..<20])
        for k in 0..<20 { frames.append(a[20 + k].map { $0 * Double(19 - k) / 20 }) }
        frames += Array(repeating: [Double](repeating: 0, count: w * h), count: 10)
        for k in 0..<20 { frames.append(b[k].map { $0 * Double(k + 1) / 20 }) }
        frames += b[20...]
        XCTAssertEqual(detect(frames).shots, [Shot(start: 0, end: frames.count)])
    }

    func testCrossDissolveIsNotACut() {
        let a = shot(Scene(seed: 8), 40), b = shot(Scene(seed: 9), 40)
        var frames = Array(a[0..<20])
        for k in 0..<20 {
            let t = Double(k + 1) / 21
            frames.append(zip(a[20 + k], b[k]).map { $0 * (1 - t) + $1 * t })
        }
        frames += b[20...]
        XCTAssertEqual(detect(frames).shots, [Shot(start: 0, end: frames.count)])
    }

    func testSlowPanIsNotACut() {
        let a = Scene(seed: 10)
        let frames = (0..<75).map { a.frame(x: $0 * 2, y: 30 + $0 / 3) }
        XCTAssertEqual(detect(frames).shots, [Shot(start: 0, end: 75)])
    }

    func testSingleDamagedFrameIsNotACut() {
        var frames = shot(Scene(seed: 11), 60)
        frames[30] = frames[30].map { min(1, $0 * 2.2 + 0.25) }   // flash frame
        frames[45] = frames[45].map { $0 * 0.1 }                   // nearly black frame
        XCTAssertEqual(detect(frames).shots, [Shot(start: 0, end: 60)])
    }

    func testMinimumShotLengthIsRespected() {
        let frames = shot(Scene(seed: 12), 10) + shot(Scene(seed: 13), 4) + shot(Scene(seed: 14), 20)
            + shot(Scene(seed: 15), 5)
        // Default (8): the 4-frame shot merges into the one before, and the last
        // shot (5 frames) is too short to stand alone.
        XCTAssertEqual(detect(frames).shots, [Shot(start: 0, end: 10), Shot(start: 10, end: 39)])
        let fine = detect(frames, options: .init(minShotLength: 3))
        XCTAssertEqual(fine.shots.map(\.start), [0, 10, 14, 34])
        // A shot shorter than minShotLength at the very start is kept in the next one.
        XCTAssertEqual(detect(shot(Scene(seed: 16), 5) + shot(Scene(seed: 17), 30)).shots,
                       [Shot(start: 0, end: 35)])
    }

    func testEmptyAndTinyStreams() {
        var detector = ShotDetector()
        XCTAssertEqual(detector.finish(), [])
        XCTAssertEqual(detect(shot(Scene(seed: 18), 1)).shots, [Shot(start: 0, end: 1)])
        XCTAssertEqual(detect(shot(Scene(seed: 19), 3)).shots, [Shot(start: 0, end: 3)])
    }

    func testEightBitStridedInputMatchesSixteenBit() {
        // Same pictures as 8-bit samples inside wider rows, and as 16-bit samples
        // with maxValue 255: identical thumbnails, identical shots.
        let frames = shot(Scene(seed: 20), 20) + shot(Scene(seed: 21), 20)
        let stride = w + 13
        var wide = ShotDetector(), narrow = ShotDetector()
        for frame in frames {
            let bytes = samples(frame, maxValue: 255).map { UInt8($0) }
            var padded = [UInt8](repeating: 77, count: stride * h)
            for row in 0..<h { padded.replaceSubrange(row * stride..<row * stride + w, with: bytes[row * w..<(row + 1) * w]) }
            padded.withUnsafeBufferPointer { _ = wide.push(luma: $0, width: w, height: h, rowStride: stride) }
            narrow.push(luma: bytes.map { UInt16($0) }, width: w, height: h, maxValue: 255)
        }
        let shots = wide.finish()
        XCTAssertEqual(shots, narrow.finish())
        XCTAssertEqual(shots.map(\.start), [0, 20])
    }

    func testShotGeometry() {
        let s = Shot(start: 10, end: 25)
        XCTAssertEqual(s.count, 15)
        XCTAssertEqual(s.range, 10..<25)
        XCTAssertEqual(s.description, "10..<25")
    }
}
