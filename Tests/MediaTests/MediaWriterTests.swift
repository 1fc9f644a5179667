import Foundation
import XCTest
@testable import KinecolorMedia

final class MediaWriterTests: MediaTestCase {
    // MARK: Round trips

    func testFFV1RoundTripKeepsLumaBitExactAndAudioByteIdentical() throws {
        let output = file("out.mkv")
        let writer = try roundTrip(sampleURL, to: output, options: EncodeOptions(codec: .ffv1))
        XCTAssertEqual(writer.framesWritten, 132)
        XCTAssertEqual(writer.encoderPixelFormatName, "yuv420p")
        XCTAssertEqual(writer.copiedStreams.map(\.codecName), ["aac"])
        XCTAssertTrue(writer.notes.isEmpty, "\(writer.notes)")
        XCTAssertEqual(try listing(), ["out.mkv"], "no partial file left behind")

        let (inInfo, inFrames) = try readAll(sampleURL)
        let (outInfo, outFrames) = try readAll(output)
        XCTAssertEqual(outFrames.count, inFrames.count)
        XCTAssertEqual(outInfo.timeBase, Rational(1, 1000), "Matroska counts milliseconds")
        for (a, b) in zip(inFrames, outFrames) {
            XCTAssertEqual(a.y, b.y, "frame \(a.index): luma must be bit-exact with ffv1")
            XCTAssertEqual(a.u, b.u)
            XCTAssertEqual(a.v, b.v)
            // The same instants, re-expressed on the container's millisecond clock.
            XCTAssertEqual(b.pts, Int64((inInfo.seconds(ofPTS: a.pts) * 1000).rounded()))
            XCTAssertEqual(b.duration, 40)
        }
        try assertSameAudio(sampleURL, output, exactTimes: false)
    }

    func testH264RoundTripKeepsPTSAndIsNearLossless() throws {
        let output = file("out.mp4")
        let writer = try roundTrip(sampleURL, to: output, options: EncodeOptions())
        XCTAssertEqual(writer.encoderPixelFormatName, "yuv420p")
        let (inInfo, inFrames) = try readAll(sampleURL)
        let (outInfo, outFrames) = try readAll(output)
        XCTAssertEqual(outFrames.count, 132)
        XCTAssertEqual(outInfo.timeBase, inInfo.timeBase)
        XCTAssertEqual(outFrames.map(\.pts), inFrames.map(\.pts), "identical pts list")
        XCTAssertEqual(outFrames.map(\.duration), inFrames.map(\.duration))
        XCTAssertEqual(try XCTUnwrap(outInfo.duration), try XCTUnwrap(inInfo.duration), accuracy: 1e-9)
        XCTAssertEqual(outInfo.frameCountEstimate, 132)
        var worst = Double.infinity
        for (a, b) in zip(inFrames, outFrames) {
            worst = min(worst, psnr(a.y, b.y))
            XCTAssertTrue(b.u.allSatisfy { $0 == 128 } && b.v.allSatisfy { $0 == 128 }, "chroma stays neutral")
        }
        XCTAssertGreaterThan(worst, 40, "CRF 16 luma PSNR")
        try assertSameAudio(sampleURL, output, exactTimes: true)
    }

    func testNewChromaIsEncoded() throws {
        // What the pipeline does: same luma, colorized chroma.
        let output = file("colored.mkv")
        try roundTrip(sampleURL, to: output, options: EncodeOptions(codec: .ffv1), limit: 10) { frame in
            var colored = frame
            for i in colored.u.indices {
                colored.u[i] = UInt16(90 + i % 40)
                colored.v[i] = UInt16(170 - i % 30)
            }
            return colored
        }
        let (_, frames) = try readAll(output)
        XCTAssertEqual(frames.count, 10)
        XCTAssertEqual(frames[3].u[1234], UInt16(90 + 1234 % 40))
        XCTAssertEqual(frames[3].v[1234], UInt16(170 - 1234 % 30))
    }

    func testProResIsTenBit422WithLumaShiftedByTwo() throws {
        let output = file("out.mov")
        let writer = try roundTrip(sampleURL, to: output, options: EncodeOptions(codec: .prores), limit: 12)
        XCTAssertEqual(writer.encoderPixelFormatName, "yuv422p10le")
        let (info, frames) = try readAll(output)
        XCTAssertEqual(info.codecName, "prores")
        XCTAssertEqual(info.bitDepth, 10)
        XCTAssertEqual(info.chroma, .yuv422)
        XCTAssertEqual(frames.count, 12)
        let (_, original) = try readAll(sampleURL, limit: 12)
        for (a, b) in zip(original, frames) {
            XCTAssertGreaterThan(psnr(a.y.map { $0 << 2 }, b.y, bitDepth: 10), 45)
            XCTAssertEqual(b.chromaHeight, 360)
            XCTAssertTrue(b.u.allSatisfy { abs(Int($0) - 512) <= 2 }, "neutral 8-bit chroma becomes neutral 10-bit chroma")
        }
        try assertSameAudio(sampleURL, output, exactTimes: true)
    }

    func testTenBitFramesRoundTrip() throws {
        let info = VideoStreamInfo(width: 96, height: 64, bitDepth: 10, chroma: .yuv420,
                                   timeBase: Rational(1, 30), frameRate: Rational(30, 1),
                                   colorRange: .limited, colorMatrix: .bt709,
                                   colorPrimaries: .bt709, colorTransfer: .bt709)
        let frames = (0..<8).map { syntheticFrame(width: 96, height: 64, bitDepth: 10, pts: Int64($0), duration: 1, index: $0) }

        let lossless = file("ten.mkv")
        let ffv1 = try MediaWriter(url: lossless, copyingStreamsFrom: nil, video: info, options: EncodeOptions(codec: .ffv1))
        XCTAssertEqual(ffv1.encoderPixelFormatName, "yuv420p10le")
        for f in frames { try ffv1.write(f) }
        try ffv1.finish()
        let (readInfo, decoded) = try readAll(lossless)
        XCTAssertEqual(readInfo.bitDepth, 10)
        XCTAssertEqual(readInfo.colorMatrix, .bt709)
        XCTAssertEqual(readInfo.colorPrimaries, .bt709)
        XCTAssertEqual(readInfo.colorRange, .limited)
        XCTAssertEqual(decoded.map(\.y), frames.map(\.y), "10-bit luma is bit-exact with ffv1")
        XCTAssertEqual(decoded.map(\.u), frames.map(\.u))

        let lossy = file("ten.mp4")
        let x264 = try MediaWriter(url: lossy, copyingStreamsFrom: nil, video: info, options: EncodeOptions())
        XCTAssertEqual(x264.encoderPixelFormatName, "yuv420p10le", "the installed libx264 does 10-bit")
        for f in frames { try x264.write(f) }
        try x264.finish()
        let (h264Info, h264Frames) = try readAll(lossy)
        XCTAssertEqual(h264Info.bitDepth, 10)
        XCTAssertEqual(h264Info.colorMatrix, .bt709)
        XCTAssertEqual(h264Frames.count, 8)
        for (a, b) in zip(frames, h264Frames) { XCTAssertGreaterThan(psnr(a.y, b.y, bitDepth: 10), 40) }
    }

    func testColorTagsSARAndRotationSurvive() throws {
        var info = VideoStreamInfo(width: 64, height: 48, bitDepth: 8, chroma: .yuv420,
                                   timeBase: Rational(1, 25), frameRate: Rational(25, 1),
                                   colorRange: .full, colorMatrix: .smpte170m,
                                   colorPrimaries: .smpte170m, colorTransfer: .smpte170m,
                                   sampleAspectRatio: Rational(64, 45), rotation: -90)
        info.index = 0
        for ext in ["mp4", "mov", "mkv"] {
            let output = file("tags.\(ext)")
            let writer = try MediaWriter(url: output, copyingStreamsFrom: nil, video: info, options: EncodeOptions())
            for i in 0..<5 {
                var frame = syntheticFrame(width: 64, height: 48, pts: Int64(i), duration: 1, index: i)
                frame.fullRange = true
                try writer.write(frame)
            }
            try writer.finish()
            let reader = try MediaReader(url: output)
            XCTAssertEqual(reader.video.colorRange, .full, ext)
            XCTAssertEqual(reader.video.colorMatrix, .smpte170m, ext)
            XCTAssertEqual(reader.video.colorPrimaries, .smpte170m, ext)
            XCTAssertEqual(reader.video.colorTransfer, .smpte170m, ext)
            XCTAssertEqual(reader.video.sampleAspectRatio, Rational(64, 45), ext)
            if ext != "mkv" {  // Matroska has no display matrix in FFmpeg 5.1
                XCTAssertEqual(reader.video.rotation, -90, ext)
            }
            XCTAssertTrue(try XCTUnwrap(reader.nextFrame()).fullRange, ext)
        }
    }

    // MARK: Variable frame rate

    func testVariableFrameRateSurvivesRoundTrips() throws {
        let ticks: [Int64] = [0, 1, 3, 4, 7, 8, 9, 12, 13, 20, 21, 22, 30]
        let info = VideoStreamInfo(width: 64, height: 48, timeBase: Rational(1, 25), frameRate: Rational(25, 1))
        let source = file("vfr.mkv")
        let writer = try MediaWriter(url: source, copyingStreamsFrom: nil, video: info, options: EncodeOptions(codec: .ffv1))
        for (i, pts) in ticks.enumerated() {
            let next = i + 1 < ticks.count ? ticks[i + 1] : pts + 3  // the last frame lasts 3 ticks
            try writer.write(syntheticFrame(width: 64, height: 48, pts: pts, duration: next - pts, index: i))
        }
        try writer.finish()

        /// Presentation times in seconds, and where the stream ends.
        func times(_ url: URL) throws -> ([Double], Double?) {
            let (info, frames) = try readAll(url)
            return (frames.map { info.seconds(ofPTS: $0.pts) }, info.duration)
        }
        let expected = ticks.map { Double($0) / 25 }
        let (first, firstEnd) = try times(source)
        XCTAssertEqual(first.count, ticks.count)
        for (a, b) in zip(first, expected) { XCTAssertEqual(a, b, accuracy: 1e-9) }
        XCTAssertEqual(try XCTUnwrap(firstEnd), 33.0 / 25, accuracy: 1e-9, "the last frame keeps its 3 ticks")

        for (name, options) in [("vfr-again.mkv", EncodeOptions()), ("vfr.mp4", EncodeOptions()),
                                ("vfr.mov", EncodeOptions(codec: .prores)), ("vfr-lossless.mkv", EncodeOptions(codec: .ffv1))] {
            let output = file(name)
            try roundTrip(source, to: output, options: options)
            let (again, end) = try times(output)
            XCTAssertEqual(again.count, ticks.count, name)
            for (a, b) in zip(again, expected) { XCTAssertEqual(a, b, accuracy: 1e-9, name) }
            XCTAssertEqual(try XCTUnwrap(end), 33.0 / 25, accuracy: 1e-9, name)
        }
    }

    // MARK: Audio and subtitles

    func testAudioFromAWavIsCopiedToMatroskaButRefusedByMP4() throws {
        let wav = file("sound.wav")
        try wavBytes(samples: 16000).write(to: wav)
        let info = VideoStreamInfo(width: 32, height: 32, timeBase: Rational(1, 25), frameRate: Rational(25, 1))

        let mp4 = file("film.mp4")
        assertMediaError(.unsupportedByContainer, mentioning: "stream 0 (pcm_s16le audio) cannot be stored in .mp4 without re-encoding (use .mkv or .mov)",
                         file: mp4) { _ = try MediaWriter(url: mp4, copyingStreamsFrom: wav, video: info) }
        XCTAssertEqual(try listing(), ["sound.wav"], "nothing created")

        let mkv = file("film.mkv")
        let writer = try MediaWriter(url: mkv, copyingStreamsFrom: wav, video: info)
        for i in 0..<50 { try writer.write(syntheticFrame(width: 32, height: 32, pts: Int64(i), duration: 1, index: i)) }
        try writer.finish()
        let streams = try MediaProbe.streams(of: mkv)
        XCTAssertEqual(streams.map(\.kind), [.video, .audio])
        let before = try MediaProbe.packetDigests(of: wav)[0], after = try MediaProbe.packetDigests(of: mkv)[0]
        XCTAssertEqual(after.byteCount, before.byteCount)
        XCTAssertEqual(after.md5, before.md5, "PCM samples byte-identical")
    }

    func testContainersThatCannotHoldTheVideoAreRefused() throws {
        let info = VideoStreamInfo(width: 32, height: 32, timeBase: Rational(1, 25), frameRate: Rational(25, 1))
        let webm = file("film.webm")
        assertMediaError(.unsupportedByContainer, mentioning: "h264 video cannot be stored in .webm (use .mkv", file: webm) {
            _ = try MediaWriter(url: webm, copyingStreamsFrom: sampleURL, video: info)
        }
        let ffv1 = file("film.mp4")
        assertMediaError(.unsupportedByContainer, mentioning: "ffv1 video cannot be stored in .mp4 (use .mkv", file: ffv1) {
            _ = try MediaWriter(url: ffv1, copyingStreamsFrom: sampleURL, video: info, options: EncodeOptions(codec: .ffv1))
        }
        let unknown = file("film.xyz")
        assertMediaError(.unsupportedByContainer, mentioning: "unknown container extension '.xyz'", file: unknown) {
            _ = try MediaWriter(url: unknown, copyingStreamsFrom: nil, video: info)
        }
        let mp3 = file("film.mp3")
        assertMediaError(.writeFailed, mentioning: "cannot start the .mp3 file", file: mp3) {
            _ = try MediaWriter(url: mp3, copyingStreamsFrom: nil, video: info)
        }
        XCTAssertEqual(try listing(), [], "nothing created")
    }

    func testAVIOutputKeepsFrameTimesAndAudio() throws {
        let output = file("out.avi")
        try roundTrip(sampleURL, to: output, options: EncodeOptions(), limit: 30)
        let (info, frames) = try readAll(output)
        XCTAssertEqual(info.timeBase, Rational(1, 25), "AVI counts frames")
        XCTAssertEqual(frames.map(\.pts), (0..<30).map(Int64.init))
        let before = try MediaProbe.packetDigests(of: sampleURL)[0], after = try MediaProbe.packetDigests(of: output)[0]
        XCTAssertEqual(after.md5, before.md5)
    }

    // MARK: Destination rules

    func testExistingDestinationNeedsOverwrite() throws {
        let output = file("taken.mp4")
        try "precious".write(to: output, atomically: true, encoding: .utf8)
        let info = try MediaReader(url: sampleURL).video
        assertMediaError(.destinationExists, mentioning: "already exists", file: output) {
            _ = try MediaWriter(url: output, copyingStreamsFrom: sampleURL, video: info)
        }
        XCTAssertEqual(try String(contentsOf: output, encoding: .utf8), "precious")

        try roundTripWithOverwrite(to: output)
        XCTAssertEqual(try readAll(output).frames.count, 5)
        XCTAssertEqual(try listing(), ["taken.mp4"])
    }

    func testADestinationThatAppearsWhileWritingIsKeptAndTheResultLeftBeside() throws {
        let output = file("late.mp4")
        let reader = try MediaReader(url: sampleURL)
        let writer = try MediaWriter(url: output, copyingStreamsFrom: sampleURL, video: reader.video)
        for _ in 0..<5 { try writer.write(try XCTUnwrap(reader.nextFrame())) }
        try "someone else's".write(to: output, atomically: true, encoding: .utf8)
        assertMediaError(.destinationAppeared, mentioning: "appeared while writing", file: output) { try writer.finish() }
        XCTAssertEqual(try String(contentsOf: output, encoding: .utf8), "someone else's")
        XCTAssertEqual(try listing().count, 2, "the result stays under its temporary name")
    }

    private func roundTripWithOverwrite(to output: URL) throws {
        let reader = try MediaReader(url: sampleURL)
        let writer = try MediaWriter(url: output, copyingStreamsFrom: sampleURL, video: reader.video, overwrite: true)
        for _ in 0..<5 { try writer.write(try XCTUnwrap(reader.nextFrame())) }
        try writer.finish()
    }

    func testOutputMayNotBeTheInput() throws {
        let input = file("film.mp4")
        try FileManager.default.copyItem(at: sampleURL, to: input)
        let info = try MediaReader(url: input).video
        let symlink = file("link.mp4"), hardlink = file("hard.mp4")
        try FileManager.default.createSymbolicLink(at: symlink, withDestinationURL: input)
        try FileManager.default.linkItem(at: input, to: hardlink)
        let dotted = directory.appendingPathComponent("./sub/../film.mp4")
        try FileManager.default.createDirectory(at: file("sub"), withIntermediateDirectories: true)
        for output in [input, symlink, hardlink, dotted] {
            assertMediaError(.destinationIsInput, mentioning: "is the input file", file: output) {
                _ = try MediaWriter(url: output, copyingStreamsFrom: input, video: info, overwrite: true)
            }
        }
        XCTAssertEqual(try Data(contentsOf: input), try Data(contentsOf: sampleURL), "input untouched")
    }

    func testUnwritableDestinations() throws {
        let info = VideoStreamInfo(width: 32, height: 32, timeBase: Rational(1, 25), frameRate: Rational(25, 1))
        let missingDir = file("missing/out.mp4")
        assertMediaError(.cannotCreate, mentioning: "does not exist", file: missingDir) {
            _ = try MediaWriter(url: missingDir, copyingStreamsFrom: nil, video: info)
        }
        let notADir = file("plain")
        try "x".write(to: notADir, atomically: true, encoding: .utf8)
        let underFile = notADir.appendingPathComponent("out.mp4")
        assertMediaError(.cannotCreate, mentioning: "does not exist", file: underFile) {
            _ = try MediaWriter(url: underFile, copyingStreamsFrom: nil, video: info)
        }
        assertMediaError(.cannotCreate, mentioning: "is a directory", file: file("sub.mkv")) {
            try FileManager.default.createDirectory(at: file("sub.mkv"), withIntermediateDirectories: true)
            _ = try MediaWriter(url: file("sub.mkv"), copyingStreamsFrom: nil, video: info, overwrite: true)
        }

    }

    func testReadOnlyDirectory() throws {
        let info = VideoStreamInfo(width: 32, height: 32, timeBase: Rational(1, 25), frameRate: Rational(25, 1))
        let locked = file("locked")
        try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: locked.path)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: locked.path) }
        // Root ignores permissions; sysfs refuses new files even to root.
        let target = access(locked.path, W_OK) != 0 ? locked : URL(fileURLWithPath: "/sys")
        guard access(target.path, W_OK) != 0 || target.path == "/sys" else {
            throw XCTSkip("no read-only directory available")
        }
        let output = target.appendingPathComponent("out.mp4")
        assertMediaError(.cannotCreate, mentioning: "cannot create a file in \(target.path)", file: output) {
            _ = try MediaWriter(url: output, copyingStreamsFrom: nil, video: info)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: locked.path), [])
    }

    // MARK: Partial files

    func testPartialFileIsHiddenAndRemovedWithoutFinish() throws {
        let reader = try MediaReader(url: sampleURL)
        let output = file("film.mp4")
        var writer: MediaWriter? = try MediaWriter(url: output, copyingStreamsFrom: sampleURL, video: reader.video)
        for _ in 0..<60 { try writer!.write(try XCTUnwrap(reader.nextFrame())) }
        let during = try listing()
        XCTAssertEqual(during, [".film.partial-\(getpid()).mp4"])
        writer = nil  // released without finish(), as after an error or cancellation
        XCTAssertEqual(try listing(), [])

        let again = try MediaWriter(url: output, copyingStreamsFrom: sampleURL, video: reader.video)
        try again.write(try XCTUnwrap(reader.nextFrame()))
        again.cancel()
        again.cancel()
        XCTAssertEqual(try listing(), [])
        assertMediaError(.writeFailed, mentioning: "closed (cancelled or failed)", file: output) { try again.finish() }
    }

    func testBadFramesFailTheWriteAndRemoveThePartialFile() throws {
        let reader = try MediaReader(url: sampleURL)
        let output = file("film.mkv")
        let writer = try MediaWriter(url: output, copyingStreamsFrom: sampleURL, video: reader.video)
        let first = try XCTUnwrap(reader.nextFrame())
        try writer.write(first)
        assertMediaError(.invalidFrame, mentioning: "has pts 0, not after the previous 0", file: output) { try writer.write(first) }
        XCTAssertEqual(try listing(), [])

        let other = try MediaWriter(url: output, copyingStreamsFrom: sampleURL, video: reader.video)
        let small = syntheticFrame(width: 32, height: 32, pts: 0, duration: 1, index: 0)
        assertMediaError(.invalidFrame, mentioning: "frame 0 is 32x32 but the stream is 640x360", file: output) { try other.write(small) }
        XCTAssertEqual(try listing(), [])

        let empty = try MediaWriter(url: output, copyingStreamsFrom: sampleURL, video: reader.video)
        assertMediaError(.writeFailed, mentioning: "no frames were written", file: output) { try empty.finish() }
        XCTAssertEqual(try listing(), [])
    }

    func testWriteFailureIsOneLineAndRemovesThePartialFile() throws {
        // A file-size limit makes write(2) fail with EFBIG, the same path as a full disk (ENOSPC).
        let output = file("big.mkv")
        let reader = try MediaReader(url: sampleURL)
        let writer = try MediaWriter(url: output, copyingStreamsFrom: sampleURL, video: reader.video,
                                     options: EncodeOptions(codec: .ffv1))
        var saved = rlimit()
        getrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved)
        let previousHandler = signal(SIGXFSZ, SIG_IGN)
        var limit = saved
        limit.rlim_cur = 256 * 1024
        setrlimit(Int32(RLIMIT_FSIZE.rawValue), &limit)
        defer {
            setrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved)
            signal(SIGXFSZ, previousHandler)
        }
        var failure: MediaError?
        do {
            while let frame = try reader.nextFrame() { try writer.write(frame) }
            try writer.finish()
        } catch let error as MediaError {
            failure = error
        }
        let error = try XCTUnwrap(failure, "a 256 KiB limit must stop a 13 MB ffv1 file")
        XCTAssertEqual(error.kind, .writeFailed)
        XCTAssertTrue("\(error)".hasPrefix(output.path + ": write failed"), "\(error)")
        XCTAssertTrue("\(error)".contains("File too large"), "\(error)")
        XCTAssertFalse("\(error)".contains("\n"))
        XCTAssertEqual(try listing(), [])
    }

    // MARK: Helpers

    /// Same packets, same bytes; same times exactly (same container clock) or to the millisecond.
    private func assertSameAudio(_ a: URL, _ b: URL, exactTimes: Bool, line: UInt = #line) throws {
        let before = try MediaProbe.packetDigests(of: a), after = try MediaProbe.packetDigests(of: b)
        XCTAssertEqual(before.count, after.count, line: line)
        for (x, y) in zip(before, after) {
            XCTAssertEqual(x.stream.codecName, y.stream.codecName, line: line)
            XCTAssertEqual(x.packetCount, y.packetCount, line: line)
            XCTAssertEqual(x.md5, y.md5, "payloads byte-identical", line: line)
            for (t, u) in zip(x.presentationTimes, y.presentationTimes) {
                XCTAssertEqual(try XCTUnwrap(t), try XCTUnwrap(u), accuracy: exactTimes ? 1e-9 : 0.0005, line: line)
            }
        }
    }
}
