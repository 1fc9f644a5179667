import XCTest
@testable import KinecolorModel

/// The network's input size: BigColor's 'powerof' rule.
final class PowerofSizeTests: XCTestCase {
    func testPowerofSpecExamples() {
        // Docs/bigcolor-architecture.md §8, step 5 (H×W → h×w).
        XCTAssertTrue(powerofSize(height: 600, width: 800) == (256, 352))
        XCTAssertTrue(powerofSize(height: 720, width: 1280) == (256, 464))
        // 256/300·375 is exactly 320.0 in double, so ceil does not bump it to 336.
        XCTAssertTrue(powerofSize(height: 300, width: 375) == (256, 320))
        XCTAssertTrue(powerofSize(height: 500, width: 500) == (256, 256))
        // Portrait: the short side is the width.
        XCTAssertTrue(powerofSize(height: 800, width: 600) == (352, 256))
        XCTAssertTrue(powerofSize(height: 1080, width: 1920) == (256, 464))
        // Tiny inputs are scaled up the same way.
        XCTAssertTrue(powerofSize(height: 10, width: 15) == (256, 384))
    }

    func testPowerofOtherTargets() {
        XCTAssertTrue(powerofSize(height: 1080, width: 1920, target: 512) == (512, 912))
        XCTAssertTrue(powerofSize(height: 1080, width: 1920, target: 384, unit: 32) == (384, 704))
        for (h, w) in [(480, 640), (576, 720), (1080, 1440), (333, 777), (777, 333)] {
            let s = powerofSize(height: h, width: w)
            XCTAssertEqual(s.height % 16, 0)
            XCTAssertEqual(s.width % 16, 0)
            XCTAssertEqual(min(s.height, s.width), 256)
        }
    }
}
