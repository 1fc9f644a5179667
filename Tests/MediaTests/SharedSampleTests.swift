import Foundation
import XCTest
@testable import KinecolorMedia

/// The larger corpus in ../shared/samples (`sharedSamples`); skipped where it is not installed.
final class SharedSampleTests: MediaTestCase {
    func testMPEG4AVIWithAC3KeepsItsTimestampGapAndAudio() throws {
        let avi = try sharedSample("megamind_animated_ac3_gray.avi")
        let (info, frames) = try readAll(avi)
        XCTAssertEqual(info.codecName, "mpeg4")
        XCTAssertEqual([info.width, info.height], [640, 470])
        XCTAssertEqual(info.timeBase, Rational(1001, 24000))
        XCTAssertEqual(info.sampleAspectRatio, Rational(705, 704))
        XCTAssertEqual(frames.count, 270, "the file has no frame at tick 1")
        XCTAssertEqual(Array(frames.prefix(4).map(\.pts)), [0, 2, 3, 4])

        for ext in ["mkv", "avi"] {
            let output = file("megamind.\(ext)")
            let writer = try roundTrip(avi, to: output, options: EncodeOptions(preset: "ultrafast"))
            XCTAssertTrue(writer.notes.isEmpty, "\(ext): \(writer.notes)")
            let (outInfo, outFrames) = try readAll(output)
            XCTAssertEqual(outFrames.count, 270, ext)
            XCTAssertEqual(outInfo.sampleAspectRatio, Rational(705, 704), ext)
            for (a, b) in zip(frames, outFrames) {
                XCTAssertEqual(outInfo.seconds(ofPTS: b.pts), info.seconds(ofPTS: a.pts), accuracy: 0.00051, ext)  // Matroska rounds to the millisecond
            }
            let before = try MediaProbe.packetDigests(of: avi)[0], after = try MediaProbe.packetDigests(of: output)[0]
            XCTAssertEqual(after.md5, before.md5, "\(ext): AC-3 byte-identical")
            XCTAssertEqual(after.packetCount, 352, ext)
        }

        // The first AC-3 packet of this file is the tail of a frame; MP4 and MOV drop it, and say so.
        for ext in ["mp4", "mov"] {
            let output = file("megamind.\(ext)")
            let writer = try roundTrip(avi, to: output, options: EncodeOptions(preset: "ultrafast"))
            XCTAssertEqual(writer.notes.count, 1, ext)
            XCTAssertTrue(writer.notes.first?.contains("drops packets before the first complete AC-3 frame") == true, "\(writer.notes)")
            XCTAssertEqual(try MediaProbe.packetDigests(of: output)[0].packetCount, 351, ext)
            XCTAssertEqual(try readAll(output).frames.map(\.pts), frames.map { $0.pts * 1001 }, "\(ext): 1/24000 clock")
        }
    }

    func testPhoneClipWithoutAudio() throws {
        let clip = try sharedSample("carphone_face_gray.mp4")
        let reader = try MediaReader(url: clip)
        XCTAssertTrue(reader.otherStreams.isEmpty)
        XCTAssertEqual(reader.video.timeBase, Rational(1, 30000))
        XCTAssertEqual(reader.video.sampleAspectRatio, Rational(128, 117))
        let output = file("carphone.mkv")
        let writer = try roundTrip(clip, to: output, options: EncodeOptions(codec: .ffv1))
        XCTAssertTrue(writer.copiedStreams.isEmpty)
        let (a, b) = (try readAll(clip).frames, try readAll(output).frames)
        XCTAssertEqual(a.count, 120)
        XCTAssertEqual(a.map(\.y), b.map(\.y))
    }

    func testGrayStillsAreReadExactly() throws {
        for name in ["baboon_gray.png", "fruits_gray.png", "home_gray.png"] {
            let png = try sharedSample(name)
            let (info, frames) = try readAll(png)
            XCTAssertEqual(info.pixelFormatName, "gray", name)
            XCTAssertEqual(info.colorRange, .full, name)
            XCTAssertEqual(frames.count, 1, name)
            XCTAssertTrue(frames[0].fullRange, name)
            XCTAssertTrue(frames[0].u.allSatisfy { $0 == 128 }, name)
            XCTAssertGreaterThan(Set(frames[0].y).count, 100, name)
        }
    }

    func testJPEGKeeps422ThroughFFV1() throws {
        let jpeg = try sharedSample("baboon.jpg")
        let (info, frames) = try readAll(jpeg)
        XCTAssertEqual(info.pixelFormatName, "yuvj422p")
        XCTAssertEqual(info.chroma, .yuv422)
        XCTAssertTrue(frames[0].fullRange)
        let output = file("baboon.mkv")
        let writer = try roundTrip(jpeg, to: output, options: EncodeOptions(codec: .ffv1))
        XCTAssertEqual(writer.encoderPixelFormatName, "yuv422p")
        let again = try readAll(output)
        XCTAssertEqual(again.info.colorRange, .full)
        XCTAssertEqual(again.frames[0].y, frames[0].y)
        XCTAssertEqual(again.frames[0].u, frames[0].u)
        XCTAssertEqual(again.frames[0].v, frames[0].v)
    }
}
