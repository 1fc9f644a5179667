import Foundation
import XCTest
@testable import KinecolorMedia

/// Entering a film by seeking gives exactly the frames a read from the start gives, with the same
/// numbers; a film whose timestamps would shift the numbers is never entered so.
final class SeekTests: MediaTestCase {
    static let sample = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Samples/big-buck-bunny-gray.mp4")

    /// Frames `wanted` (and the three after each) after a seek equal those of a read from the start.
    func assertSeeksMatch(_ url: URL, frames all: [VideoFrame], wanted: [Int], file: StaticString = #filePath, line: UInt = #line) throws {
        for k in wanted {
            let reader = try MediaReader(url: url)
            try reader.seek(toFrame: k)
            for expected in all[k..<min(k + 4, all.count)] {
                let frame = try XCTUnwrap(try reader.nextFrame(), "frame \(expected.index)", file: file, line: line)
                XCTAssertEqual(frame.index, expected.index, file: file, line: line)
                XCTAssertEqual(frame.pts, expected.pts, "frame \(k)", file: file, line: line)
                XCTAssertTrue(frame.y == expected.y && frame.u == expected.u && frame.v == expected.v,
                              "frame \(expected.index) after a seek to \(k) differs", file: file, line: line)
            }
        }
    }

    func testSeekingGivesTheFramesOfAReadFromTheStart() throws {
        let (_, frames) = try readAll(Self.sample)
        XCTAssertTrue(try MediaReader(url: Self.sample).canSeek(frameCount: frames.count))
        try assertSeeksMatch(Self.sample, frames: frames, wanted: [0, 1, 43, 44, 60, 88, 100, 128, 131])
        // Backwards too: the same reader, the earlier frame.
        let reader = try MediaReader(url: Self.sample)
        try reader.seek(toFrame: 120)
        XCTAssertEqual(try reader.nextFrame()?.index, 120)
        try reader.seek(toFrame: 7)
        XCTAssertEqual(try reader.nextFrame()?.y, frames[7].y)
    }

    /// The wrong frame count (a project of another film, a stream with a gap) is not seekable.
    func testAStreamThatDoesNotFillItsLengthIsNotEnteredBySeeking() throws {
        let reader = try MediaReader(url: Self.sample)
        XCTAssertFalse(reader.canSeek(frameCount: 131))
        XCTAssertFalse(reader.canSeek(frameCount: 133))
        // This AVI has no frame at tick 1: frame 1 of a read from the start is at tick 2.
        if let avi = try? sharedSample("megamind_animated_ac3_gray.avi") {
            XCTAssertFalse(try MediaReader(url: avi).canSeek(frameCount: 270))
        }
    }

    func testSharedSamplesSeekExactlyOrNotAtAll() throws {
        for name in ["bbb_animated_5.1audio_gray.mp4", "carphone_face_gray.mp4"] {
            let url = try sharedSample(name)
            let (_, frames) = try readAll(url)
            guard try MediaReader(url: url).canSeek(frameCount: frames.count) else { continue }
            try assertSeeksMatch(url, frames: frames, wanted: [frames.count / 3, frames.count / 2, frames.count - 2])
        }
    }
}
