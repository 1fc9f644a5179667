import Foundation
import XCTest
@testable import KinecolorMedia

/// `--codec dnxhr` with its profiles, `--codec prores4444`, and `--depth`: the encoder gets the
/// depth and chroma asked for, deeper output holds the input's luma shifted left exactly, and an
/// impossible combination is refused before anything is written.
final class CodecDepthTests: MediaTestCase {
    /// Writes `count` synthetic 8-bit frames with `options`; returns them.
    @discardableResult
    func write(_ url: URL, _ options: EncodeOptions, width: Int = 64, height: Int = 32, count: Int = 3) throws -> [VideoFrame] {
        let info = VideoStreamInfo(width: width, height: height, timeBase: Rational(1, 25), frameRate: Rational(25, 1))
        let writer = try MediaWriter(url: url, copyingStreamsFrom: nil, video: info, options: options)
        let frames = (0..<count).map { syntheticFrame(width: width, height: height, pts: Int64($0), duration: 1, index: $0) }
        for f in frames { try writer.write(f) }
        try writer.finish()
        return frames
    }

    func testFFV1SixteenBitHoldsEightBitLumaShiftedExactly() throws {
        let out = file("f16.mkv")
        let frames = try write(out, EncodeOptions(codec: .ffv1, depth: 16))
        let (info, back) = try readAll(out)
        XCTAssertEqual(info.bitDepth, 16)
        XCTAssertEqual(back.map(\.y), frames.map { $0.y.map { $0 << 8 } })
    }

    func testProRes4444AndDNxHRProfiles() throws {
        let cases: [(EncodeOptions, String, Int, ChromaSubsampling)] = [
            // Encoded from 10-bit samples; FFmpeg's ProRes decoder gives 4444 as 12-bit.
            (EncodeOptions(codec: .prores4444), "p.mov", 12, .yuv444),
            (EncodeOptions(codec: .dnxhr), "hq.mov", 8, .yuv422),
            (EncodeOptions(codec: .dnxhr, dnxhrProfile: .hqx), "hqx.mov", 10, .yuv422),
            (EncodeOptions(codec: .dnxhr, dnxhrProfile: .dnxhr444), "444.mov", 10, .yuv444),
        ]
        for (options, name, depth, chroma) in cases {
            // DNxHR needs at least 256×120.
            try write(file(name), options, width: 256, height: 128, count: 2)
            let (info, frames) = try readAll(file(name))
            XCTAssertEqual(frames.count, 2, name)
            XCTAssertEqual(info.codecName, options.codec == .dnxhr ? "dnxhd" : "prores", name)
            XCTAssertEqual(info.bitDepth, depth, name)
            XCTAssertEqual(info.chroma, chroma, name)
        }
    }

    func testImpossibleCombinationsAreRefusedBeforeWriting() throws {
        XCTAssertNil(EncodeOptions(codec: .ffv1, depth: 16).problem)
        XCTAssertNil(EncodeOptions(codec: .dnxhr, dnxhrProfile: .hqx, depth: 10).problem)
        XCTAssertEqual(EncodeOptions(codec: .h264, depth: 16).problem, "h264 cannot write 16-bit video (it writes 8 or 10-bit)")
        XCTAssertEqual(EncodeOptions(codec: .dnxhr, dnxhrProfile: .lb, depth: 10).problem,
                       "dnxhr dnxhr_lb cannot write 10-bit video (it writes 8-bit)")
        XCTAssertNotNil(EncodeOptions(codec: .prores4444, depth: 16).problem)
        let out = file("x.mov")
        XCTAssertThrowsError(try write(out, EncodeOptions(codec: .prores, depth: 8))) { error in
            XCTAssertTrue("\(error)".contains("prores cannot write 8-bit video"), "\(error)")
        }
        XCTAssertThrowsError(try write(file("x.mkv"), EncodeOptions(codec: .dnxhr), width: 256, height: 128)) { error in
            XCTAssertTrue("\(error)".contains("cannot be stored in .mkv (use .mov)"), "\(error)")
        }
        XCTAssertEqual(try listing(), [])
    }
}
