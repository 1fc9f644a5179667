@testable import KinecolorFiles
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

    /// Project files round to the millisecond first: the same text for every time in that
    /// millisecond, and hours past 99 are not cut.
    func testFormatOfMilliseconds() {
        XCTAssertEqual(Timecode.format(milliseconds: 0), "00:00:00.000")
        XCTAssertEqual(Timecode.format(milliseconds: 3_725_500), "01:02:05.500")
        XCTAssertEqual(Timecode.format(milliseconds: 59_999), "00:00:59.999")
        XCTAssertEqual(Timecode.format(milliseconds: 360_000_000), "100:00:00.000")
        XCTAssertEqual(Timecode.format(milliseconds: -40), "00:00:00.000")
    }

    /// Durations for people watching a job (elapsed, time left): minutes under an hour.
    func testClock() {
        XCTAssertEqual(Timecode.clock(seconds: 0), "0:00")
        XCTAssertEqual(Timecode.clock(seconds: 65.4), "1:05")
        XCTAssertEqual(Timecode.clock(seconds: 3599.6), "1:00:00")
        XCTAssertEqual(Timecode.clock(seconds: 3725), "1:02:05")
        XCTAssertEqual(Timecode.clock(seconds: -3), "0:00")
        XCTAssertEqual(Timecode.clock(seconds: .nan), "0:00")
        XCTAssertEqual(Timecode.clock(seconds: .infinity), "999999:59:59")
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

    // Found by Fuzz/Targets/timecode.swift: a long digit string parsed to 2.1e29 s (or to infinity),
    // and formatting that value trapped converting the hour count to Int.
    func testParseRefusesTimesNoTimecodeCanPrint() {
        for huge in ["212777777777777777777777777771", String(repeating: "9", count: 400), "1000000:00:00"] {
            XCTAssertThrowsError(try Timecode.parse(huge), "accepted \"\(huge)\"") { error in
                XCTAssertTrue("\(error)".hasPrefix("invalid time \"\(huge)\""), "\(error)")
                XCTAssertFalse("\(error)".contains("\n"))
            }
        }
        XCTAssertEqual(try Timecode.parse("999999:59:59.999"), Timecode.maxSeconds)
    }

    /// A line break in the text is shown, not printed: the message stays one line.
    func testParseErrorsShowLineBreaks() {
        XCTAssertThrowsError(try Timecode.parse("1\n2\r")) { error in
            XCTAssertEqual("\(error)".components(separatedBy: ":").first, #"invalid time "1\n2\r""#)
        }
    }

    func testFormatOfHugeAndNonFiniteTimesDoesNotTrap() {
        XCTAssertEqual(Timecode.format(seconds: 2.1e29), Timecode.format(seconds: Timecode.maxSeconds))
        XCTAssertEqual(Timecode.format(seconds: .infinity), Timecode.format(seconds: Timecode.maxSeconds))
        XCTAssertEqual(Timecode.format(seconds: .nan), "00:00:00.000")
        XCTAssertEqual(Timecode.format(seconds: -.infinity), "00:00:00.000")
        XCTAssertTrue(Timecode.format(seconds: Timecode.maxSeconds).hasPrefix("99999"), Timecode.format(seconds: Timecode.maxSeconds))
    }
}
