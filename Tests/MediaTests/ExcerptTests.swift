import Foundation
import XCTest
@testable import KinecolorMedia

/// Excerpts (review clips of a few shots) keep the copied packets of their parts and move them
/// by exact integer arithmetic on timestamps, never through seconds.
final class ExcerptTests: MediaTestCase {
    /// A recording whose timestamps count from the Unix epoch (IP cameras, ffmpeg
    /// -use_wallclock_as_timestamps): 1.7e9 s at 1/90000 is 1.53e14 ticks, where a Double
    /// second is only good to about 2e-7 s, so comparing seconds with a 1e-9 tolerance puts a
    /// packet on the cut into the part that ends there.
    func testAPacketOnACutBelongsToThePartAfterIt() {
        let video = Rational(1, 90000)
        let start: Int64 = 153_000_000_000_000, end = start + 30030
        let parts = [ExcerptPart(start: start, end: end, shift: start, timeBase: video)]

        let same = StreamExcerpt(parts, timeBase: video)
        XCTAssertNil(same.shift(forPacketAt: start - 1))
        XCTAssertEqual(same.shift(forPacketAt: start), start)
        XCTAssertEqual(same.shift(forPacketAt: end - 1), start)
        XCTAssertNil(same.shift(forPacketAt: end), "a packet on the cut is not in the part that ends there")

        // The same instants at 48 kHz: start and end are 81_600_000_000_000 and ..._016_016 ticks.
        let audio = StreamExcerpt(parts, timeBase: Rational(1, 48000))
        XCTAssertNil(audio.shift(forPacketAt: 81_599_999_999_999))
        XCTAssertEqual(audio.shift(forPacketAt: 81_600_000_000_000), 81_600_000_000_000)
        XCTAssertEqual(audio.shift(forPacketAt: 81_600_000_016_015), 81_600_000_000_000)
        XCTAssertNil(audio.shift(forPacketAt: 81_600_000_016_016), "on the cut")
        XCTAssertNil(audio.shift(forPacketAt: nil), "a packet without a time is in no part")
    }

    /// A part that starts between two audio ticks keeps the packets from the next tick on, and
    /// moves them by the shift rounded to the nearest tick, halves away from zero (av_rescale_q).
    /// 23.976 fps in MP4 (1/24000) against 44.1 kHz: 760760 ticks are 1397896.5 audio ticks, and
    /// through seconds the product lands just under the half and rounds down.
    func testShiftIsRoundedLikeAVRescaleQ() {
        let parts = [ExcerptPart(start: 760_760, end: 770_770, shift: 760_760, timeBase: Rational(1, 24000))]
        let audio = StreamExcerpt(parts, timeBase: Rational(1, 44100))
        XCTAssertNil(audio.shift(forPacketAt: 1_397_896))
        XCTAssertEqual(audio.shift(forPacketAt: 1_397_897), 1_397_897)
        // Several parts: each packet moves with its own part; a negative shift moves it later.
        let video = Rational(1, 1000)
        let two = StreamExcerpt([ExcerptPart(start: 1025, end: 2000, shift: 1025, timeBase: video),
                                 ExcerptPart(start: 3000, end: 4000, shift: 2050, timeBase: video),
                                 ExcerptPart(start: 5000, end: 6000, shift: -100, timeBase: video)], timeBase: Rational(1, 44100))
        XCTAssertEqual(two.shift(forPacketAt: 45203), 45203, "1.025 s is 45202.5 ticks: the part starts at tick 45203")
        XCTAssertNil(two.shift(forPacketAt: 45202))
        XCTAssertNil(two.shift(forPacketAt: 88200), "2 s: the first part has ended")
        XCTAssertEqual(two.shift(forPacketAt: 132_300), 90405, "2.05 s is 90405 ticks")
        XCTAssertEqual(two.shift(forPacketAt: 220_500), -4410)
    }

    /// The writer applies the same arithmetic to real packets: a Matroska-like 1/1000 video clock
    /// and a 44.1 kHz WAV, an excerpt from 1.025 s (45202.5 audio ticks). The first kept audio
    /// packet moves by 45203 ticks, which NUT, keeping every time base, shows to the tick.
    func testWriterShiftsCopiedAudioByTheExactlyRoundedShift() throws {
        let wav = file("sound.wav")
        try wavBytes(samples: 44100 * 2, rate: 44100).write(to: wav)
        let video = Rational(1, 1000)
        let info = VideoStreamInfo(width: 32, height: 32, timeBase: video, frameRate: Rational(25, 1))
        let output = file("excerpt.nut")
        let writer = try MediaWriter(url: output, copyingStreamsFrom: wav, video: info, options: EncodeOptions(codec: .ffv1))
        writer.excerpt = [ExcerptPart(start: 1025, end: 1825, shift: 1025, timeBase: video)]
        for i in 0..<20 { try writer.write(syntheticFrame(width: 32, height: 32, pts: Int64(i * 40), duration: 40, index: i)) }
        try writer.finish()

        let input = try XCTUnwrap(MediaProbe.packetDigests(of: wav).first).presentationTimes.compactMap { $0 }
        let kept = input.map { Int64(($0 * 44100).rounded()) }.filter { $0 >= 45203 && $0 * 1000 < 1825 * 44100 }
        let written = try XCTUnwrap(MediaProbe.packetDigests(of: output).first).presentationTimes.compactMap { $0 }
        XCTAssertEqual(written.count, kept.count)
        for (a, b) in zip(written, kept) {
            XCTAssertEqual(a * 44100, Double(b - 45203), accuracy: 0.01, "moved by exactly 45203 ticks")
        }
    }
}
