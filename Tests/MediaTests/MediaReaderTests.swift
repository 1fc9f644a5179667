import Foundation
import XCTest
@testable import KinecolorMedia

final class MediaReaderTests: MediaTestCase {
    func testDecodesTheSample() throws {
        let reader = try MediaReader(url: sampleURL)
        let info = reader.video
        XCTAssertEqual(info.index, 0)
        XCTAssertEqual(info.codecName, "h264")
        XCTAssertEqual([info.width, info.height], [640, 360])
        XCTAssertEqual(info.pixelFormatName, "yuv420p")
        XCTAssertEqual(info.bitDepth, 8)
        XCTAssertEqual(info.chroma, .yuv420)
        XCTAssertFalse(info.lumaIsComputed)
        XCTAssertEqual(info.timeBase, Rational(1, 12800))
        XCTAssertEqual(info.averageFrameRate, Rational(25, 1))
        XCTAssertEqual(info.frameCountEstimate, 132)
        XCTAssertEqual(info.rotation, 0)
        XCTAssertEqual(try XCTUnwrap(info.duration), 5.28, accuracy: 0.001)
        XCTAssertEqual(reader.otherStreams.map(\.kind), [.audio])
        XCTAssertEqual(reader.otherStreams.first?.codecName, "aac")

        var pts: [Int64] = []
        var index = 0
        while let frame = try reader.nextFrame() {
            XCTAssertEqual(frame.index, index)
            XCTAssertEqual([frame.width, frame.height, frame.chromaWidth, frame.chromaHeight], [640, 360, 320, 180])
            XCTAssertEqual(frame.y.count, 640 * 360)
            XCTAssertEqual(frame.duration, 512)
            XCTAssertFalse(frame.fullRange)
            // The sample is black and white: neutral chroma everywhere.
            XCTAssertTrue(frame.u.allSatisfy { $0 == 128 } && frame.v.allSatisfy { $0 == 128 }, "frame \(index)")
            pts.append(frame.pts)
            index += 1
        }
        XCTAssertEqual(pts.count, 132)
        XCTAssertEqual(pts, (0..<132).map { Int64($0) * 512 })
        XCTAssertNil(try reader.nextFrame(), "stays at the end")
        XCTAssertEqual(reader.framesRead, 132)
        XCTAssertEqual(reader.damagedPacketCount, 0)
        XCTAssertEqual(reader.concealedFrameCount, 0)
        XCTAssertTrue(reader.warnings.isEmpty, "\(reader.warnings)")
    }

    func testHardCutsOfTheSampleAreWhereTheReadmeSays() throws {
        // Mean absolute luma difference between consecutive frames: the two cuts stand out.
        let (_, frames) = try readAll(sampleURL)
        var jumps: [(Int, Double)] = []
        for i in 1..<frames.count {
            let a = frames[i - 1].y, b = frames[i].y
            var sum = 0
            for k in stride(from: 0, to: a.count, by: 7) { sum += abs(Int(a[k]) - Int(b[k])) }
            jumps.append((i, Double(sum) / Double(a.count / 7)))
        }
        let top = jumps.sorted { $0.1 > $1.1 }.prefix(2).map(\.0).sorted()
        XCTAssertEqual(top, [44, 88])
    }

    func testLumaAsFloatHonorsRange() {
        let limited = VideoFrame(width: 4, height: 1, bitDepth: 8, fullRange: false, y: [16, 235, 0, 255], pts: 0, duration: 1, index: 0)
        XCTAssertEqual(limited.lumaAsFloat(), [0, 1, 0, 1])
        let full = VideoFrame(width: 3, height: 1, bitDepth: 8, fullRange: true, y: [0, 255, 51], pts: 0, duration: 1, index: 0)
        XCTAssertEqual(full.lumaAsFloat(), [0, 1, 0.2])
        let ten = VideoFrame(width: 2, height: 1, bitDepth: 10, fullRange: false, y: [64, 940], pts: 0, duration: 1, index: 0)
        XCTAssertEqual(ten.lumaAsFloat(), [0, 1])
        XCTAssertEqual(limited.neutralChroma, 128)
        XCTAssertEqual(ten.neutralChroma, 512)
    }

    func testChromaSubsamplingGeometry() {
        XCTAssertEqual(ChromaSubsampling.yuv420.planeWidth(641), 321)
        XCTAssertEqual(ChromaSubsampling.yuv420.planeHeight(361), 181)
        XCTAssertEqual(ChromaSubsampling.yuv411.planeWidth(10), 3)
        XCTAssertEqual("\(ChromaSubsampling.yuv422)", "4:2:2")
    }

    func testChromaResamplingAveragesAndRepeats() {
        // 4x2 picture: 4:4:4 chroma → 4:2:0 averages 2x2 blocks; 4:2:0 → 4:2:2 repeats rows.
        let full: [UInt16] = [10, 20, 30, 40,
                              30, 40, 50, 61]
        let quarter = resampleChroma(full, lumaWidth: 4, lumaHeight: 2, from: .yuv444, to: .yuv420)
        XCTAssertEqual(quarter, [25, 45])
        let tall = resampleChroma([1, 2, 3, 4], lumaWidth: 4, lumaHeight: 4, from: .yuv420, to: .yuv422)
        XCTAssertEqual(tall, [1, 2, 1, 2, 3, 4, 3, 4])
        XCTAssertEqual(resampleChroma(tall, lumaWidth: 4, lumaHeight: 4, from: .yuv422, to: .yuv420), [1, 2, 3, 4])
        XCTAssertEqual(rescaleDepth([0, 16, 235, 255], from: 8, to: 10), [0, 64, 940, 1020])
        XCTAssertEqual(rescaleDepth([0, 64, 940, 1023], from: 10, to: 8), [0, 16, 235, 255])
    }

    func testChoosingStreams() throws {
        let reader = try MediaReader(url: sampleURL, videoStream: 0)
        XCTAssertEqual(reader.video.index, 0)
        assertMediaError(.noVideoStream, mentioning: "video stream 1 does not exist (the file has video streams 0)",
                         file: sampleURL) { _ = try MediaReader(url: sampleURL, videoStream: 1) }
        assertMediaError(.noVideoStream, mentioning: "video stream 3 does not exist (the file has video streams 0)",
                         file: sampleURL) { _ = try MediaReader(url: sampleURL, videoStream: 3) }
    }

    func testProbeDescribesStreams() throws {
        let streams = try MediaProbe.streams(of: sampleURL)
        XCTAssertEqual(streams.map(\.kind), [.video, .audio])
        XCTAssertEqual(streams[1].description, "#1 audio aac, 48000 Hz, 5.1 [und]")
        let text = try MediaProbe.describe(sampleURL)
        XCTAssertTrue(text.hasPrefix("big-buck-bunny-gray.mp4: mov,mp4"), text)
        XCTAssertTrue(text.contains("#0 video h264, 640x360"), text)
        let digests = try MediaProbe.packetDigests(of: sampleURL)
        XCTAssertEqual(digests.count, 1)
        XCTAssertEqual(digests[0].packetCount, 249)
        // The value `ffmpeg -i big-buck-bunny-gray.mp4 -map 0:a -c copy -f md5 -` prints.
        XCTAssertEqual(digests[0].md5, "e7adbcee51d6a76ceabdc9812d1dd200")
    }

    func testTimestampFormatting() {
        XCTAssertEqual(formatTimestamp(seconds: 3725.5), "01:02:05.500")
        XCTAssertEqual(formatTimestamp(seconds: 0.0404), "00:00:00.040")
        let info = VideoStreamInfo(width: 2, height: 2, timeBase: Rational(1, 12800), frameRate: Rational(25, 1))
        XCTAssertEqual(info.timestamp(ofPTS: 22528), "00:00:01.760")
    }

    func testTruncatedFileEndsEarlyWithAWarning() throws {
        let data = try Data(contentsOf: sampleURL)
        let truncated = file("truncated.mp4")
        try data.prefix(400_000).write(to: truncated)
        let reader = try MediaReader(url: truncated)
        var count = 0
        while try reader.nextFrame() != nil { count += 1 }
        XCTAssertGreaterThan(count, 30)
        XCTAssertLessThan(count, 132)
        XCTAssertTrue(reader.warnings.contains { $0.contains("the file may be truncated") }, "\(reader.warnings)")
        XCTAssertTrue(reader.warnings.allSatisfy { !$0.contains("\n") })
    }

    func testCorruptDataIsConcealedAndCounted() throws {
        var data = try Data(contentsOf: sampleURL)
        // Flip bytes inside the media data (past the header and moov box) with a fixed pattern.
        var position = 60_000
        while position < data.count - 1 {
            data[position] ^= 0xFF
            position += 17_389
        }
        let corrupt = file("corrupt.mp4")
        try data.write(to: corrupt)
        let reader = try MediaReader(url: corrupt)
        var count = 0
        while try reader.nextFrame() != nil { count += 1 }
        XCTAssertEqual(count, 132, "concealed, not dropped")
        XCTAssertGreaterThan(reader.damagedPacketCount + reader.concealedFrameCount, 0)
        XCTAssertFalse(reader.warnings.isEmpty)
    }
}
