import Foundation
@testable import KinecolorPipeline
import XCTest

/// The one frame-to-shot lookup, used by the renderer, the preview and the grid.
final class ShotLookupTests: XCTestCase {
    func shots(_ bounds: [(Int, Int)]) -> [ShotSettings] {
        bounds.enumerated().map { ShotSettings(index: $0, start: $1.0, end: $1.1, classIndex: 0, seed: 0, zStd: 0) }
    }

    func testEveryFrameFindsItsShotAndNoOtherFrameDoes() {
        let list = shots([(0, 5), (5, 6), (6, 20)])
        XCTAssertNil(list.shotIndex(ofFrame: -1))
        XCTAssertEqual(list.shotIndex(ofFrame: 0), 0)
        XCTAssertEqual(list.shotIndex(ofFrame: 4), 0)
        XCTAssertEqual(list.shotIndex(ofFrame: 5), 1)      // a one-frame shot
        XCTAssertEqual(list.shotIndex(ofFrame: 6), 2)
        XCTAssertEqual(list.shotIndex(ofFrame: 19), 2)
        XCTAssertNil(list.shotIndex(ofFrame: 20))          // past the last shot
        XCTAssertNil(list.shotIndex(ofFrame: .max))
        XCTAssertNil(shots([]).shotIndex(ofFrame: 0))
        // Shots that start later (frames before the first belong to none).
        let later = shots([(10, 12), (12, 30)])
        XCTAssertNil(later.shotIndex(ofFrame: 9))
        XCTAssertEqual(later.shotIndex(ofFrame: 10), 0)
        XCTAssertEqual(later.shotIndex(ofFrame: 12), 1)
        XCTAssertNil(later.shotIndex(ofFrame: 30))
        // Many shots: the same answers as a linear scan.
        var bounds: [(Int, Int)] = [], start = 0
        for k in 0..<200 { bounds.append((start, start + 1 + k % 7)); start += 1 + k % 7 }
        let many = shots(bounds)
        for frame in -2...(start + 2) {
            XCTAssertEqual(many.shotIndex(ofFrame: frame), many.firstIndex { $0.range.contains(frame) }, "frame \(frame)")
        }
    }
}
