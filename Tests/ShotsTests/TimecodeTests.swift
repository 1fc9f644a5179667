import KinecolorShots
import XCTest

final class TimecodeTests: XCTestCase {
    func testFormat() {
        XCTAssertEqual(Timecode.format(seconds: 0), "00:00:00.000")
        XCTAssertEqual(Timecode.format(seconds: 3725.5), "01:02:05.500")
        XCTAssertEqual(Timecode.format(seconds: 1 / (24000.0 / 1001.0)), "00:00:00.042")
        XCTAssertEqual(Timecode.format(seconds: 59.9996), "00:01:00.000")
        XCTAssertEqual(Timecode.format(seconds: 3599.9999), "01:00:00.000")
        XCTAssertEqual(Timecode.format(seconds: 36_000), "10:00:00.000")
        XCTAssertEqual(Timecode.format(seconds: -1), "00:00:00.000")
    }

    func testSMPTE() {
        XCTAssertEqual(Timecode.smpte(frame: 55, fps: 25), "00:00:02:05")
        XCTAssertEqual(Timecode.smpte(frame: 24 * 3661 + 3, fps: 24000.0 / 1001.0), "01:01:01:03")
    }

    func testParseAcceptedForms() throws {
        XCTAssertEqual(try Timecode.parse("01:02:05.500"), 3725.5)
        XCTAssertEqual(try Timecode.parse("00:00:00.042"), 0.042)
        XCTAssertEqual(try Timecode.parse("1:02:05"), 3725)
        XCTAssertEqual(try Timecode.parse("02:05.5"), 125.5)
        XCTAssertEqual(try Timecode.parse("90:00"), 5400)   // leading field may exceed 59
        XCTAssertEqual(try Timecode.parse("62.5"), 62.5)
        XCTAssertEqual(try Timecode.parse("62.5s"), 62.5)
        XCTAssertEqual(try Timecode.parse(" 62 "), 62)
        XCTAssertEqual(try Timecode.parse(".5"), 0.5)
    }

    func testParseRejectsBadStringsWithOneLineErrors() {
        for bad in ["", "abc", "1:2:3:4", "00:61:00", "1:60", "-5", "1.2.3", "1::2", ":30", "1:2x", "1e3", "5 s"] {
            XCTAssertThrowsError(try Timecode.parse(bad), "accepted \"\(bad)\"") { error in
                let message = "\(error)"
                XCTAssertFalse(message.contains("\n"))
                XCTAssertTrue(message.hasPrefix("invalid time \"\(bad)\""), message)
            }
        }
    }
}
