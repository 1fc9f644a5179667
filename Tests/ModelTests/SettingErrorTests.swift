import KinecolorModel
import XCTest

/// `SettingError.check`: the one check of network size, saturation, z spread and smoothing that
/// the command line, project files, model files and the renderer share.
final class SettingErrorTests: XCTestCase {
    func testAcceptedValues() throws {
        for size in [16, 32, 256, 512] { XCTAssertNoThrow(try SettingError.check(size: size), "\(size)") }
        try SettingError.check(saturation: 0, zStd: 0, smoothing: 0)
        try SettingError.check(saturation: 4, zStd: 4, smoothing: 25)
        try SettingError.check()
    }

    /// What `check` refuses, or nil.
    func refusal(size: Int? = nil, saturation: Double? = nil, zStd: Double? = nil, smoothing: Int? = nil) -> SettingError? {
        do {
            try SettingError.check(size: size, saturation: saturation, zStd: zStd, smoothing: smoothing)
            return nil
        } catch {
            return error
        }
    }

    func testEachValueOutsideItsRangeIsItsOwnCase() {
        for size in [24, 528, -16, 0, Int.max] { XCTAssertEqual(refusal(size: size), .size(size)) }
        XCTAssertEqual(refusal(saturation: 4.5), .saturation(4.5))
        XCTAssertEqual(refusal(zStd: -0.1), .zStd(-0.1))
        XCTAssertEqual(refusal(zStd: .infinity), .zStd(.infinity))
        XCTAssertEqual(refusal(smoothing: 26), .smoothing(26))
        XCTAssertEqual(refusal(size: 24, smoothing: 26), .size(24), "the first refusal is the one reported")
        // NaN is outside every range (and unequal to itself, so compare the text).
        XCTAssertEqual(refusal(saturation: .nan).map { "\($0)" }, "saturation nan must be in 0…4")
    }

    /// Callers put their own name in front of `problem`; `field` is how files spell the setting.
    func testTheWordsEveryCallerBuildsOn() {
        XCTAssertEqual(SettingError.size(24).field, "size")
        XCTAssertEqual(SettingError.size(24).problem,
                       "24 is not a multiple of 16 in 16…512 (the network's memory grows with the fourth power of its size)")
        XCTAssertEqual(SettingError.saturation(-1).field, "saturation")
        XCTAssertEqual(SettingError.saturation(-1).problem, "-1.0 must be in 0…4")
        XCTAssertEqual(SettingError.zStd(9).field, "z_std")
        XCTAssertEqual(SettingError.zStd(9).problem, "9.0 must be in 0…4")
        XCTAssertEqual(SettingError.smoothing(-1).field, "smooth")
        XCTAssertEqual(SettingError.smoothing(-1).problem, "-1 must be in 0…25")
        XCTAssertEqual("\(SettingError.size(24))".prefix(16), "network size 24 ")
        for error in [SettingError.size(24), .saturation(9), .zStd(9), .smoothing(99)] {
            XCTAssertFalse("\(error)".contains("--"), "the library names no flag: \(error)")
        }
    }
}
