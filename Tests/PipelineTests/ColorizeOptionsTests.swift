import KinecolorModel
@testable import KinecolorPipeline
import XCTest

/// A model file says how it runs best; the user's own values win.
final class ColorizeOptionsTests: XCTestCase {
    func testTheModelsOwnDefaultsApplyUnlessTheUserGivesValues() {
        let network = FakeNetwork(inference: InferenceDefaults(size: 96, saturation: 0.85, zStd: 0.3))
        let own = ColorizeOptions(for: network, seed: 4)
        XCTAssertEqual(own.size, 96)
        XCTAssertEqual(own.saturation, 0.85)
        XCTAssertEqual(own.zStd, 0.3)
        XCTAssertEqual(ColorizeOptions(for: network, seed: 4, zStd: 1.2).zStd, 1.2)
        // the spread scales the shot's z; the seed alone picks its direction
        let shot = { (zStd: Double) in ShotSettings(index: 0, start: 0, end: 1, classIndex: 0, seed: 4, zStd: zStd) }
        let narrow = shot(own.zStd).z(count: 8), wide = shot(1.2).z(count: 8)
        for (a, b) in zip(narrow, wide) { XCTAssertEqual(Double(a) * 4, Double(b), accuracy: 1e-5) }
    }
}
