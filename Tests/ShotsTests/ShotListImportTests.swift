@testable import KinecolorShots
import XCTest

/// Shot lists cut in an editor, read back (`plan --shots`): what `ShotList` writes comes back to
/// the same shots, PySceneDetect's own CSV and other editors' EDLs are read, and a list that does
/// not cover the film is a one-line error naming its line.
final class ShotListImportTests: XCTestCase {
    static let ntsc = 30000.0 / 1001.0

    /// Contiguous shots from frame 0 with the given lengths.
    func shots(_ lengths: [Int]) -> [Shot] {
        var start = 0
        return lengths.map { n in
            defer { start += n }
            return Shot(start: start, end: start + n)
        }
    }

    func read(_ text: String, fps: Double = 25, name: String = "list") throws -> ImportedShotList {
        try ImportedShotList.read(text, name: name, fps: fps)
    }

    func assertRefused(_ text: String, fps: Double = 25, frameCount: Int? = nil, _ message: String,
                       file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try {
            let list = try read(text, fps: fps)
            if let frameCount { _ = try list.shots(frameCount: frameCount) }
        }(), file: file, line: line) { error in
            XCTAssertEqual("\(error)", message, file: file, line: line)
            XCTAssertFalse("\(error)".contains("\n"), file: file, line: line)
        }
    }

    func testKinecolorsOwnCSVRoundTrips() throws {
        for fps in [25, 24000.0 / 1001, Self.ntsc] {
            for lengths in [[48], [55, 45], [1, 1, 300, 17, 2, 9000]] {
                let list = ShotList(shots: shots(lengths), fps: fps)
                let back = try read(list.csv(), fps: fps)
                XCTAssertEqual(try back.shots(frameCount: lengths.reduce(0, +)), list.shots, "\(fps) \(lengths)")
                XCTAssertTrue(back.warnings.isEmpty)
            }
        }
    }

    func testKinecolorsOwnEDLRoundTrips() throws {
        for fps in [25, 24000.0 / 1001, Self.ntsc, 50, 2 * Self.ntsc] {
            for lengths in [[48], [55, 45], [1, 1, 300, 17, 2, 200_000]] {
                let list = ShotList(shots: shots(lengths), fps: fps)
                let back = try read(list.edl(title: "film", clipName: "film.mkv"), fps: fps)
                XCTAssertEqual(try back.shots(frameCount: lengths.reduce(0, +)), list.shots, "\(fps) \(lengths)")
                XCTAssertTrue(back.warnings.isEmpty)
            }
        }
    }

    /// PySceneDetect's plain scene list (no `Timecode List:` line), with Windows line ends and a
    /// spreadsheet's quotes.
    func testPlainPySceneDetectCSV() throws {
        let text = "\"Scene Number\",\"Start Frame\",\"Start Timecode\",\"Start Time (seconds)\",\"End Frame\"\r\n"
            + "1,1,00:00:00.000,0.000,90\r\n2,91,00:00:03.600,3.600,100\r\n"
        let list = try read(text)
        XCTAssertEqual(list.entries.map(\.line), [2, 3])
        XCTAssertEqual(try list.shots(frameCount: 100), [Shot(start: 0, end: 90), Shot(start: 90, end: 100)])
        XCTAssertEqual(list.cut(at: 90), 90)
        XCTAssertNil(list.cut(at: 0))
        XCTAssertNil(list.cut(at: 50))
    }

    /// An editor's EDL: a record timeline from 01:00:00:00, audio events, a dissolve in CMX form
    /// (an empty cut, then the dissolve from its start) and a wipe.
    func testAnEditorsEDL() throws {
        let text = """
            TITLE: REEL 1 CONFORM
            FCM: NON-DROP FRAME

            001  A001     V     C        10:00:00:00 10:00:04:00 01:00:00:00 01:00:04:00
            001  A001     A     C        10:00:00:00 10:00:04:00 01:00:00:00 01:00:04:00
            002  A001     V     C        10:00:04:00 10:00:04:00 01:00:04:00 01:00:04:00
            002  B002     V     D    012 20:00:00:00 20:00:02:00 01:00:04:00 01:00:06:00
            * FROM CLIP NAME: B002.MOV
            003  C003     V     W001 010 30:00:00:00 30:00:01:00 01:00:06:00 01:00:07:00
            """
        let list = try read(text, fps: 25)
        XCTAssertEqual(try list.shots(frameCount: 175), [Shot(start: 0, end: 100), Shot(start: 100, end: 150), Shot(start: 150, end: 175)])
        XCTAssertEqual(list.entries.map(\.line), [4, 7, 9])
        XCTAssertEqual(list.warnings, [
            "list: the record timeline starts at 01:00:00:00; taken as the film's first frame",
            "list line 7: a dissolve taken as a cut at its start (01:00:04:00)",
            "list line 9: a wipe taken as a cut at its start (01:00:06:00)",
        ])
    }

    /// Drop-frame EDLs count as drop-frame timecode does: 00:01:00;02 is frame 1800 at 29.97.
    func testDropFrameEDL() throws {
        let text = """
            TITLE: NTSC
            FCM: DROP FRAME
            001  AX  V  C  00:00:00;00 00:01:00;02 00:00:00;00 00:01:00;02
            002  AX  V  C  00:01:00;02 00:01:00;12 00:01:00;02 00:01:00;12
            """
        XCTAssertEqual(try read(text, fps: Self.ntsc).shots(frameCount: 1810), [Shot(start: 0, end: 1800), Shot(start: 1800, end: 1810)])
        // FCM: DROP FRAME governs labels written with colons too.
        let colons = text.replacingOccurrences(of: ";", with: ":")
        XCTAssertEqual(try read(colons, fps: Self.ntsc).shots(frameCount: 1810).map(\.start), [0, 1800])
        assertRefused(text, fps: 25, "list line 3: timecode 00:00:00;00 is drop-frame, which exists only at 29.97 and 59.94 fps; the film runs at 25 fps (write 00:00:00:00)")
    }

    func testGapsOverlapsAndShotsOutsideTheFilmAreRefusedNamingTheLine() {
        let header = "Scene Number,Start Frame,Start Timecode,Start Time (seconds),End Frame\n"
        assertRefused(header + "1,1,x,0,50\n2,53,x,0,100\n",
                      "list line 3: a gap: frames 51–52 are in no shot (the shot on line 2 ends at frame 50, this one starts at frame 53)")
        assertRefused(header + "1,1,x,0,50\n2,41,x,0,100\n",
                      "list line 3: an overlap: this shot starts at frame 41, inside the shot on line 2 (frames 1–50)")
        assertRefused(header + "1,5,x,0,50\n", "list line 2: the first shot starts at frame 5; the shots must cover the film from frame 1")
        assertRefused(header + "1,1,x,0,50\n2,51,x,0,120\n", frameCount: 100,
                      "list line 3: the shot (frames 51–120) is outside the film (it has 100 frames)")
        assertRefused(header + "1,1,x,0,50\n", frameCount: 100,
                      "list: the shots end at frame 50 (line 2) but the film has 100 frames; frames 51–100 are in no shot")
        assertRefused(header + "1,1,x,0,50\n2,51,x,0,fifty\n",
                      "list line 3: expected whole numbers of frames in 'Start Frame' and 'End Frame' (the first frame is 1)")
        assertRefused(header + "1,1,x,0,50\n2,51,x,0,40\n", "list line 3: the scene ends (frame 40) before it starts (frame 51)")
        assertRefused(header, "list: no shots in the file")
        assertRefused("Scene Number,Start Time\n1,0\n", "list line 1: the header has no 'Start Frame' and 'End Frame' columns")
        assertRefused("oops\n" + header + "1,1,x,0,50\n", "list line 1: expected the 'Scene Number,Start Frame,…' header or a 'Timecode List:' line")
        assertRefused("hello\nworld\n", "list: neither a PySceneDetect CSV (no 'Scene Number,…' header line) nor a CMX 3600 EDL (no TITLE: line or events)")
        let edl = "TITLE: t\n001  AX  V  C  00:00:00:00 00:00:02:00 00:00:00:00 00:00:02:00\n"
        assertRefused(edl + "002  AX  V  C  00:00:02:00 00:00:04:00 00:00:02:10 00:00:04:00\n",
                      "list line 3: a gap: frames 51–60 are in no shot (the shot on line 2 ends at frame 50, this one starts at frame 61)")
        assertRefused(edl + "002  AX  V  C  00:00:02:00 00:00:04:00 00:00:04:00 00:00:02:00\n",
                      "list line 3: the event's record out 00:00:02:00 is before its record in 00:00:04:00")
        assertRefused(edl + "002  AX  V  C  00:00:02:00 00:00:04:00 00:00:02:00 00:00:04:30\n",
                      "list line 3: timecode 00:00:04:30 does not exist at 25 fps (frames count 00…24)")
        assertRefused(edl + "002  AX  V  C  00:00:02:00 00:00:04:00 00:00:02:00 00:00:04\n",
                      "list line 3: '00:00:04' is not a timecode HH:MM:SS:FF")
    }
}
