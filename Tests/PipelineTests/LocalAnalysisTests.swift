import Foundation
import KinecolorMedia
@testable import KinecolorPipeline
import XCTest

/// `preview` of one frame analyses only the stretch around it: the shot, class estimate and
/// keyframes it finds there are what the analysis of the whole film gives that shot.
final class LocalAnalysisTests: XCTestCase {
    static let sample = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Samples/big-buck-bunny-gray.mp4")

    func testTheStretchAroundAFrameGivesWhatTheWholeFilmGives() throws {
        let network = FakeNetwork(head: { m in [m, 1 - m, m * m, 0.5] })
        let whole = try FilmAnalysis.analyze(Self.sample, classEstimator: network, keyframesAtSize: 64)
        XCTAssertEqual(whole.shots.map(\.range), [0..<44, 44..<88, 88..<132])
        for index in [0, 5, 30, 40, 43, 44, 47, 60, 87, 88, 100, 125, 131] {
            let local = try XCTUnwrap(try LocalAnalysis.around(index, of: Self.sample, videoStream: nil, classEstimator: network,
                                                               keyframesAtSize: 64, reach: 12), "frame \(index)")
            let k = try XCTUnwrap(whole.shots.firstIndex { $0.range.contains(index) })
            XCTAssertEqual(local.shot, whole.shots[k].range, "frame \(index)")
            XCTAssertEqual(local.classProbabilities, whole.classProbabilities?[k], "frame \(index)")
            XCTAssertEqual(local.keyframes, whole.keyframes?[k], "frame \(index)")
            XCTAssertEqual(local.frameCount, whole.frameCount)
        }
    }

    /// An AVI states a dropped frame in its count (Megamind: 271 stated, 270 decoded), so frame
    /// numbers found by seeking would be off by one after the gap: it is analysed whole.
    func testAnAVIIsLeftToTheWholeAnalysis() throws {
        let avi = Self.sample.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("shared/samples/megamind_animated_ac3_gray.avi")
        try XCTSkipUnless(FileManager.default.fileExists(atPath: avi.path), "needs ../shared/samples")
        let reader = try MediaReader(url: avi)
        XCTAssertNil(reader.seekableFrameCount)
        reader.close()
        XCTAssertNil(try LocalAnalysis.around(200, of: avi, videoStream: nil))
    }

    /// A film whose container states no frame count (Matroska) cannot be seeked by frame number:
    /// the caller analyses all of it.
    func testAFilmWithoutAStatedFrameCountIsLeftToTheWholeAnalysis() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kinecolor-local-\(UUID().uuidString).mkv")
        defer { try? FileManager.default.removeItem(at: url) }
        let info = VideoStreamInfo(width: 32, height: 16, timeBase: Rational(1, 25), frameRate: Rational(25, 1))
        let writer = try MediaWriter(url: url, copyingStreamsFrom: nil, video: info, options: EncodeOptions(codec: .ffv1))
        for i in 0..<60 {
            try writer.write(VideoFrame(width: 32, height: 16, y: [UInt16](repeating: UInt16(i * 3), count: 512), pts: Int64(i),
                                        duration: 1, index: i))
        }
        try writer.finish()
        XCTAssertNil(try LocalAnalysis.around(30, of: url, videoStream: nil))
    }
}
