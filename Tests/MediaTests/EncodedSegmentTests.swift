import Foundation
import XCTest
@testable import KinecolorMedia

/// Shots encoded one by one and joined by stream copy: the joined film holds every frame at its
/// time, each shot starts with a keyframe, and a segment encoded otherwise is refused, not muxed.
final class EncodedSegmentTests: MediaTestCase {
    let info = VideoStreamInfo(width: 64, height: 48, timeBase: Rational(1, 25), frameRate: Rational(25, 1))
    let options = EncodeOptions(codec: .h264, crf: 20, preset: "veryfast")

    /// Frames [from, to) of a moving test pattern, encoded as one segment of `film`.
    func segment(_ name: String, frames: Range<Int>, of film: URL, options: EncodeOptions? = nil) throws -> URL {
        let url = file(name)
        let writer = try EncodedSegmentWriter(url: url, of: film, video: info, options: options ?? self.options)
        for i in frames { try writer.write(syntheticFrame(width: 64, height: 48, pts: Int64(i), duration: 1, index: i)) }
        try writer.finish()
        return url
    }

    func testJoinedSegmentsHoldEveryFrameWithTheAudio() throws {
        let wav = file("sound.wav")
        try wavBytes(samples: 8000 * 2).write(to: wav)
        let film = file("film.mov")   // MOV holds the WAV's PCM; like MP4, it keeps codec headers apart
        // Shots of 30, 1 and 19 frames: B-frames inside the long ones, a shot of a single frame.
        let parts = try [(0..<30), (30..<31), (31..<50)].enumerated().map { try segment("s\($0.offset).packets", frames: $0.element, of: film) }
        XCTAssertEqual(try listing().filter { $0.hasPrefix(".") }, [], "no partial files are left")
        let writer = try MediaWriter(url: film, copyingStreamsFrom: wav, video: info, options: options)
        for part in parts { try writer.append(segmentAt: part) }
        XCTAssertEqual(writer.framesWritten, 50)
        try writer.finish()

        let (read, frames) = try readAll(film)
        XCTAssertEqual(frames.count, 50)
        XCTAssertEqual(frames.map { (read.seconds(ofPTS: $0.pts) * 1e6).rounded() }, (0..<50).map { Double($0) * 40_000 })
        XCTAssertGreaterThan(psnr(frames[40].y, syntheticFrame(width: 64, height: 48, pts: 40, duration: 1, index: 40).y), 30)
        let video = try XCTUnwrap(MediaProbe.packetDigests(of: film, kinds: [.video]).first)
        XCTAssertEqual(video.packetCount, 50)
        XCTAssertEqual(try MediaProbe.packetDigests(of: film).first?.md5, try MediaProbe.packetDigests(of: wav).first?.md5,
                       "the audio is copied packet for packet")
    }

    func testASegmentEncodedOtherwiseIsRefused() throws {
        let film = file("film.mkv")
        let first = try segment("a.packets", frames: 0..<10, of: film)
        let other = try segment("b.packets", frames: 10..<20, of: film, options: EncodeOptions(codec: .ffv1))
        let writer = try MediaWriter(url: film, copyingStreamsFrom: nil, video: info, options: options)
        try writer.append(segmentAt: first)
        XCTAssertThrowsError(try writer.append(segmentAt: other)) { error in
            XCTAssertTrue("\(error)".contains("b.packets: was encoded with other settings"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: film.path), "nothing is left of the refused film")

        // Out of order: the second segment's decode times do not continue the first's.
        let again = try MediaWriter(url: film, copyingStreamsFrom: nil, video: info, options: options)
        let later = try segment("c.packets", frames: 10..<20, of: film)
        try again.append(segmentAt: later)
        XCTAssertThrowsError(try again.append(segmentAt: first)) { error in
            XCTAssertTrue("\(error)".contains("a.packets: its frames do not come after the previous segment's"), "\(error)")
        }

        // A cut-off file is damaged, not a crash.
        let cut = file("cut.packets")
        let bytes = try Data(contentsOf: first)
        try bytes.prefix(bytes.count - 7).write(to: cut)
        let third = try MediaWriter(url: film, copyingStreamsFrom: nil, video: info, options: options)
        XCTAssertThrowsError(try third.append(segmentAt: cut)) { error in
            XCTAssertTrue("\(error)".contains("cut.packets: ends early"), "\(error)")
        }
    }
}
