import Foundation
import XCTest
@testable import KinecolorMedia

/// Numbered image sequences in (`f_%04d.pgm` through the image2 demuxer): the rate comes from
/// `setFrameRate` (the command's `--fps`), 16-bit luma stays 16-bit bit for bit, and a pattern
/// with no file or a gap is a one-line error before anything is decoded.
final class ImageSequenceTests: MediaTestCase {
    /// A 16-bit gray PGM, written by hand so the test needs no encoder: the pgm decoder gives
    /// gray16be, as 16-bit PNG, TIFF and DPX scans do.
    func writePGM16(_ samples: [UInt16], width: Int, height: Int, to url: URL) throws {
        var data = Data("P5\n\(width) \(height)\n65535\n".utf8)
        for s in samples { data.append(UInt8(s >> 8)); data.append(UInt8(s & 0xFF)) }
        try data.write(to: url)
    }

    /// Frame k's luma: every sample different and most of them beyond 8 bits.
    func luma(_ k: Int, count: Int) -> [UInt16] {
        (0..<count).map { UInt16(truncatingIfNeeded: ($0 * 997 + k * 4099 + 257) % 65536) }
    }

    func makeSequence(frames: [Int], width: Int = 16, height: Int = 8) throws -> String {
        for k in frames {
            try writePGM16(luma(k, count: width * height), width: width, height: height,
                           to: file(String(format: "f_%04d.pgm", k)))
        }
        return file("f_%04d.pgm").path
    }

    func testSixteenBitSequenceIsReadAtItsRateWithLumaIntact() throws {
        let pattern = try makeSequence(frames: [1, 2, 3])
        ImageSequence.setFrameRate(Rational(24000, 1001), forPattern: pattern)
        let (info, frames) = try readAll(URL(fileURLWithPath: pattern))
        XCTAssertEqual(frames.count, 3)
        XCTAssertEqual(info.bitDepth, 16)
        XCTAssertEqual(info.frameRate, Rational(24000, 1001))
        for (k, frame) in frames.enumerated() {
            XCTAssertEqual(frame.y, luma(k + 1, count: 16 * 8), "frame \(k)")
        }
        // Through FFV1 and back: still 16 bits, bit for bit.
        let out = file("out.mkv")
        try roundTrip(URL(fileURLWithPath: pattern), to: out, options: EncodeOptions(codec: .ffv1))
        let (outInfo, outFrames) = try readAll(out)
        XCTAssertEqual(outInfo.bitDepth, 16)
        XCTAssertEqual(outFrames.map(\.y), frames.map(\.y))
    }

    func testNumberingStartsWhereTheFilesStart() throws {
        let pattern = try makeSequence(frames: [86400, 86401])
        let sequence = try ImageSequence(pattern: pattern)
        XCTAssertEqual(sequence.first, 86400)
        XCTAssertEqual(sequence.count, 2)
        XCTAssertEqual(try readAll(URL(fileURLWithPath: pattern)).frames.count, 2)
        XCTAssertEqual(ImageSequence.frameRate(forPattern: file("other_%d.png").path), ImageSequence.defaultFrameRate)
    }

    func testNoMatchingFileAndGapsAreOneLineErrors() throws {
        XCTAssertThrowsError(try MediaReader(url: file("none_%06d.png"))) { error in
            XCTAssertEqual((error as? MediaError)?.kind, .cannotOpen)
            XCTAssertTrue("\(error)".hasSuffix("none_%06d.png: no file matches the image sequence pattern"), "\(error)")
        }
        let pattern = try makeSequence(frames: [1, 2, 4])
        XCTAssertThrowsError(try MediaReader(url: URL(fileURLWithPath: pattern))) { error in
            XCTAssertTrue("\(error)".contains("gap: f_0003.pgm is missing"), "\(error)")
            XCTAssertFalse("\(error)".contains("\n"))
        }
    }

    func testPatternRecognition() throws {
        XCTAssertTrue(ImageSequence.isPattern("/tmp/a_%06d.dpx"))
        XCTAssertTrue(ImageSequence.isPattern("f%d.png"))
        XCTAssertFalse(ImageSequence.isPattern("film.mkv"))
        XCTAssertFalse(ImageSequence.isPattern("100%.mkv"))
        XCTAssertFalse(ImageSequence.isPattern("a_%6d_%d.png"))
        XCTAssertEqual(ImageSequence.path("/x/f_%06d.tif", number: 12), "/x/f_000012.tif")
        // A real file whose name merely looks like a pattern stays a file.
        try Data("x".utf8).write(to: file("odd_%d.mkv"))
        XCTAssertFalse(ImageSequence.isPattern(file("odd_%d.mkv").path))
    }
}
