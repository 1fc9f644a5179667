import Foundation
import XCTest
@testable import KinecolorMedia

final class BadInputTests: MediaTestCase {
    func testMissingFile() {
        let missing = file("no-such-film.mp4")
        assertMediaError(.cannotOpen, mentioning: "no such file", file: missing) { _ = try MediaReader(url: missing) }
    }

    func testEmptyFile() throws {
        let empty = file("empty.mp4")
        try Data().write(to: empty)
        assertMediaError(.cannotOpen, mentioning: "empty file", file: empty) { _ = try MediaReader(url: empty) }
    }

    func testTextFile() throws {
        for name in ["film.txt", "film.mp4"] {
            let text = file(name)
            try "This is not a film.\nIt is a text file with two lines.\n".write(to: text, atomically: true, encoding: .utf8)
            assertMediaError(.cannotOpen, mentioning: "not a media file libavformat can open", file: text) {
                _ = try MediaReader(url: text)
            }
        }
    }

    func testDirectory() {
        assertMediaError(.cannotOpen, mentioning: "is a directory", file: directory) { _ = try MediaReader(url: directory) }
    }

    func testAudioOnlyFile() throws {
        let wav = file("song.wav")
        try wavBytes().write(to: wav)
        assertMediaError(.noVideoStream, mentioning: "no video stream (it has: #0 audio pcm_s16le, 8000 Hz, mono)",
                         file: wav) { _ = try MediaReader(url: wav) }
        assertMediaError(.noVideoStream, mentioning: "video stream 0 does not exist (the file has video streams none)",
                         file: wav) { _ = try MediaReader(url: wav, videoStream: 0) }
    }

    func testPictureSizeLimits() {
        for (w, h) in [(16, 16), (7680, 4320), (8192, 8192), (12288, 8192), (16384, 16), (16, 16384)] {
            XCTAssertNil(MediaReader.sizeProblem(width: w, height: h), "\(w)x\(h)")
        }
        for (w, h) in [(16385, 16), (16, 16385), (12000, 12000), (30000, 30000)] {
            let problem = MediaReader.sizeProblem(width: w, height: h)
            XCTAssertTrue(problem?.hasPrefix("the picture is \(w)x\(h) (") == true, "\(w)x\(h): \(problem ?? "accepted")")
        }
    }

    func testRelativePathsAreNamedAsGiven() throws {
        let saved = FileManager.default.currentDirectoryPath
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(directory.path))
        defer { _ = FileManager.default.changeCurrentDirectoryPath(saved) }
        try "hello".write(to: file("notes.txt"), atomically: true, encoding: .utf8)
        do {
            _ = try MediaReader(url: URL(fileURLWithPath: "notes.txt"))
            XCTFail("opened a text file")
        } catch {
            XCTAssertTrue("\(error)".hasPrefix("notes.txt: not a media file"), "\(error)")
        }
    }
}
