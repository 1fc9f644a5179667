import KinecolorShots
import XCTest

final class ShotListTests: XCTestCase {
    func testPySceneDetectCSV() {
        let list = ShotList(shots: [Shot(start: 0, end: 55), Shot(start: 55, end: 100)], fps: 25)
        XCTAssertEqual(list.csv(), """
            Timecode List:,00:00:02.200
            Scene Number,Start Frame,Start Timecode,Start Time (seconds),End Frame,End Timecode,\
            End Time (seconds),Length (frames),Length (timecode),Length (seconds)
            1,1,00:00:00.000,0.000,55,00:00:02.200,2.200,55,00:00:02.200,2.200
            2,56,00:00:02.200,2.200,100,00:00:04.000,4.000,45,00:00:01.800,1.800

            """)
    }

    func testCSVWithoutCutsHasAnEmptyFirstRowAsPySceneDetect() {
        let list = ShotList(shots: [Shot(start: 0, end: 48)], fps: 24000.0 / 1001.0)
        XCTAssertEqual(list.csv(), """

            Scene Number,Start Frame,Start Timecode,Start Time (seconds),End Frame,End Timecode,\
            End Time (seconds),Length (frames),Length (timecode),Length (seconds)
            1,1,00:00:00.000,0.000,48,00:00:02.002,2.002,48,00:00:02.002,2.002

            """)
    }

    func testCMX3600EDL() {
        let list = ShotList(shots: [Shot(start: 0, end: 55), Shot(start: 55, end: 1530)], fps: 25)
        XCTAssertEqual(list.edl(title: "Kinecolor: film", clipName: "film.mp4"), """
            TITLE: Kinecolor: film
            FCM: NON-DROP FRAME

            001  AX       V     C        00:00:00:00 00:00:02:05 00:00:00:00 00:00:02:05
            * FROM CLIP NAME: film.mp4

            002  AX       V     C        00:00:02:05 00:01:01:05 00:00:02:05 00:01:01:05
            * FROM CLIP NAME: film.mp4

            """)
    }

    func testEDLCountsNTSCRatesAtTheNominalRate() {
        // 29.97 counts as 30 (non-drop): frame 107892 is 00:59:56:12, not the hour of real time it lasts.
        let ntsc = ShotList(shots: [Shot(start: 0, end: 107_892)], fps: 30000.0 / 1001.0)
        XCTAssertTrue(ntsc.edl(title: "t", clipName: "c").contains(" 00:59:56:12 "))
        let film = ShotList(shots: [Shot(start: 0, end: 24)], fps: 24000.0 / 1001.0)
        XCTAssertTrue(film.edl(title: "t", clipName: "c").contains(" 00:00:01:00 "))
    }
}
