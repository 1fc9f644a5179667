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
    // MARK: SMPTE labels (`--at`, `--reference`, imported EDLs)

    static let ntsc = 30000.0 / 1001.0

    /// Drop-frame labels against published values (SMPTE 12M): 2 labels skipped per minute at
    /// 29.97, 4 at 59.94, none in every tenth minute.
    func testDropFrameLabelsOfKnownFrames() throws {
        let known: [(Int, String)] = [(0, "00:00:00;00"), (1799, "00:00:59;29"), (1800, "00:01:00;02"),
                                      (3598, "00:02:00;02"), (17981, "00:09:59;29"), (17982, "00:10:00;00"),
                                      (17983, "00:10:00;01"), (19781, "00:10:59;29"), (19782, "00:11:00;02"), (107892, "01:00:00;00")]
        for (frame, label) in known {
            XCTAssertEqual(Timecode.smpte(frame: frame, fps: Self.ntsc, dropFrame: true), label)
            XCTAssertEqual(try Timecode.parsePosition(label), .smpte(SMPTELabel(label)!))
            XCTAssertEqual(try SMPTELabel(label)!.frame(fps: Self.ntsc), frame, label)
        }
        XCTAssertEqual(Timecode.smpte(frame: 3600, fps: 2 * Self.ntsc, dropFrame: true), "00:01:00;04")
        XCTAssertEqual(try SMPTELabel("00:01:00;04")!.frame(fps: 2 * Self.ntsc), 3600)
        XCTAssertEqual(try SMPTELabel("01;00;00;00")!.frame(fps: Self.ntsc), 107892)
    }

    /// Every label written reads back to its frame: drop-frame at 29.97 and 59.94, and non-drop
    /// (as the EDL writer counts) at the nominal rate of common rates.
    func testSMPTERoundTrips() throws {
        for fps in [Self.ntsc, 2 * Self.ntsc] {
            for frame in Swift.stride(from: 0, to: 400_000, by: 97) {
                let label = Timecode.smpte(frame: frame, fps: fps, dropFrame: true)
                guard case .smpte(let l) = try Timecode.parsePosition(label) else { return XCTFail(label) }
                XCTAssertEqual(try l.frame(fps: fps), frame, label)
            }
        }
        for fps in [24000.0 / 1001, 24, 25, Self.ntsc, 30, 50, 60] {
            for frame in Swift.stride(from: 0, to: 400_000, by: 101) {
                let label = Timecode.smpte(frame: frame, fps: fps)
                guard case .smpte(let l) = try Timecode.parsePosition(label) else { return XCTFail(label) }
                XCTAssertEqual(try l.frame(fps: fps), frame, label)
            }
        }
    }

    func testSMPTEFramesThatDoNotExistAreRefusedInOneLine() {
        let cases: [(String, Double, String)] = [
            ("00:01:00;00", Self.ntsc, "timecode 00:01:00;00 does not exist: drop-frame counting skips frames 00…01 at the start of every minute but each tenth"),
            ("00:01:00;02", 25, "timecode 00:01:00;02 is drop-frame, which exists only at 29.97 and 59.94 fps; the film runs at 25 fps (write 00:01:00:02)"),
            ("00:01:00;02", 30, "timecode 00:01:00;02 is drop-frame, which exists only at 29.97 and 59.94 fps; the film runs at 30 fps (write 00:01:00:02)"),
            ("00:00:01:25", 25, "timecode 00:00:01:25 does not exist at 25 fps (frames count 00…24)"),
            ("00:00:01:30", Self.ntsc, "timecode 00:00:01:30 does not exist at 29.97 fps (frames count 00…29)"),
        ]
        for (text, fps, message) in cases {
            XCTAssertThrowsError(try SMPTELabel(text)!.frame(fps: fps), text) { XCTAssertEqual("\($0)", message) }
        }
    }

    func testParsePositionReadsEveryForm() throws {
        XCTAssertEqual(try Timecode.parsePosition("01:02:05.500"), .seconds(3725.5))
        XCTAssertEqual(try Timecode.parsePosition("02:05.5"), .seconds(125.5))
        XCTAssertEqual(try Timecode.parsePosition("62.5s"), .seconds(62.5))
        XCTAssertEqual(try Timecode.parsePosition(" -2.5 "), .seconds(-2.5))
        XCTAssertEqual(try Timecode.parsePosition("1:2:3:4"), .smpte(SMPTELabel(hours: 1, minutes: 2, seconds: 3, frames: 4, dropFrame: false)))
        XCTAssertEqual(try Timecode.parsePosition("00:00:02:05"), .smpte(SMPTELabel(hours: 0, minutes: 0, seconds: 2, frames: 5, dropFrame: false)))
        for bad in ["00:61:00:00", "00:00:60:00", "1:2:3:4:5", "00;01:00:02", "00:01;00;02", "00:01:00;", ";;;", "00:00:01:1x",
                    "--5", "-", "00:00:00:1000", "1\n:2:3:4"] {
            XCTAssertThrowsError(try Timecode.parsePosition(bad), "accepted \"\(bad)\"") { error in
                XCTAssertTrue("\(error)".hasPrefix("invalid time \(Timecode.quote(bad)): expected HH:MM:SS.mmm"), "\(error)")
                XCTAssertTrue("\(error)".hasSuffix("or SMPTE HH:MM:SS:FF (drop-frame HH:MM:SS;FF)"), "\(error)")
                XCTAssertFalse("\(error)".contains("\n"))
            }
        }
    }
}
