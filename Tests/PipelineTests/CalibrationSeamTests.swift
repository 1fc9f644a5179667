import Foundation
import KinecolorMedia
import KinecolorModel
@testable import KinecolorPipeline
import XCTest

/// A calibrated model's a/b reach every caller (stills, films, looks, references) through
/// `FrameColorizer.chroma`, calibrated first and then scaled by the saturation gain.
final class CalibrationSeamTests: XCTestCase {
    func testChromaIsCalibratedThenScaled() throws {
        let video = VideoStreamInfo(width: 64, height: 64, timeBase: Rational(1, 25), frameRate: Rational(25, 1))
        let frame = VideoFrame(width: 64, height: 64, y: [UInt16](repeating: 120, count: 64 * 64), pts: 0, duration: 1, index: 0)
        let network = FakeNetwork()
        let colorizer = try FrameColorizer(video: video, size: 64, saturation: 1.5)
        let luma = colorizer.networkLuma(frame)
        let raw = try colorizer.chroma(luma: luma, network: network, classCode: [1], z: [0, 0])
        XCTAssertGreaterThan(abs(raw.a[0]) + abs(raw.b[0]), 10, "the fake network's color is not neutral")

        // every node says (20, -10): whatever the network said, the result is that, times the gain
        network.calibration = try ChromaCalibration(shape: [2, 3, 3, 2], values: Array(repeating: [20, -10], count: 18).flatMap { $0 },
                                                    range: 60)
        let calibrated = try colorizer.chroma(luma: luma, network: network, classCode: [1], z: [0, 0])
        XCTAssertEqual(calibrated.a.count, 64 * 64)
        for i in stride(from: 0, to: calibrated.a.count, by: 97) {
            XCTAssertEqual(calibrated.a[i], 30, accuracy: 1e-3)
            XCTAssertEqual(calibrated.b[i], -15, accuracy: 1e-3)
        }
    }
}
