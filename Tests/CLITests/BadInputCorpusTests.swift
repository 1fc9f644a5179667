import Foundation
import XCTest

/// A corpus of broken and odd films, generated at test time with the `ffmpeg` CLI (plus byte
/// patches), each run through `colorize`, `preview`, `shots` and `plan` as a user would.
///
/// For every file and command: the process is not killed by a signal (exit < 128) and prints no
/// crash report; a failure is exactly one line on stderr, `Error: …`, and leaves nothing in the
/// output folder (no output, no hidden `.partial` file); the input's bytes are unchanged.
/// Good-but-odd films (tiny, odd sizes, 10-bit, interlaced, rotated, VFR, one frame) must succeed
/// with an output that matches the input (size, frame count and times, rotation), and nothing
/// else in the folder.
///
/// Skipped when `ffmpeg` is not on PATH. Clips are a few frames and the network runs at
/// `--size 32`, except the 4000×16 film, which runs at the model's default size: that is where
/// an extreme aspect ratio asks the network for an absurd input.
final class BadInputCorpusTests: XCTestCase {
    enum Expect {
        /// Good but odd input: must work, with a correct output.
        case success
        /// Broken input: must be refused with a one-line error.
        case failure
        /// Damaged input the reader may conceal: either a one-line error or a complete output.
        case either
    }

    let model = CLI.fixtures.appendingPathComponent("tiny.safetensors").path
    var dir: URL!
    var ffmpeg: String!
    var ffprobe: String?

    override func setUpWithError() throws {
        guard let found = Self.which("ffmpeg") else { throw XCTSkip("ffmpeg is not on PATH; the bad-input corpus needs it") }
        ffmpeg = found
        ffprobe = Self.which("ffprobe")
        dir = try CLI.temporaryDirectory()
    }

    override func tearDownWithError() throws {
        if let dir { try? FileManager.default.removeItem(at: dir) }
    }

    // MARK: - Broken files

    func testTruncated() throws {
        // MP4 with its index first, cut inside the first picture and after two of its three
        // keyframe intervals; Matroska cut after two of three.
        let x264 = ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "10"]
        let good = try make("whole.mp4", lavfi: "testsrc2=size=64x48:rate=10", frames: 10, x264 + ["-movflags", "+faststart"])
        let data = try Data(contentsOf: good)
        try check(try write("truncated-60.mp4", data.prefix(data.count * 6 / 10)), .either, mentions: "truncated")
        let long = try Data(contentsOf: try make("long.mp4", lavfi: "testsrc2=size=64x48:rate=10", frames: 30, x264 + ["-movflags", "+faststart"]))
        try check(try write("truncated-80.mp4", long.prefix(long.count * 8 / 10)), .either)
        let mkv = try Data(contentsOf: try make("long.mkv", lavfi: "testsrc2=size=64x48:rate=10", frames: 30, x264))
        try check(try write("truncated-80.mkv", mkv.prefix(mkv.count * 8 / 10)), .either)
        // A film that comes out shorter than announced is not shortened in silence.
        let cut = try write("cut.mp4", long.prefix(long.count * 8 / 10))
        for command in [["colorize", cut.path, "-o", dir.appendingPathComponent("cut-color.mp4").path],
                        ["plan", cut.path, "-o", dir.appendingPathComponent("cut.kcproj.json").path]] {
            let r = try CLI.run(command + ["--model", model, "--class", "3", "--size", "32"])
            if r.status == 0 {
                let notes = r.stderr.components(separatedBy: "announced frames; the file may be truncated").count - 1
                XCTAssertEqual(notes, 1, "\(command[0]): one warning about the missing frames expected in: \(r.stderr)")
            }
        }
    }

    func testBitFlipped() throws {
        let good = try make("whole.mp4", lavfi: "testsrc2=size=64x48:rate=10", frames: 10, ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart"])
        var data = try Data(contentsOf: good)
        // The header (moov first) stays intact; the picture data gets a flipped byte every 37.
        for i in stride(from: data.count / 2, to: data.count, by: 37) { data[i] ^= 0x5A }
        try check(try write("bit-flipped.mp4", data), .either)
    }

    func testMoovless() throws {
        // Without +faststart the moov atom is at the end: cut it off.
        let good = try make("whole.mp4", lavfi: "testsrc2=size=64x48:rate=10", frames: 10, ["-c:v", "libx264", "-pix_fmt", "yuv420p"])
        let data = try Data(contentsOf: good)
        let moov = try XCTUnwrap(data.range(of: Data("moov".utf8)))
        try check(try write("moovless.mp4", data.prefix(moov.lowerBound - 4)), .failure, mentions: "moov atom not found")
    }

    func testZeroFrames() throws {
        // A fragmented MP4 whose header declares the video track and no fragment follows.
        let empty = try make("zero-frames.mp4", lavfi: "testsrc2=size=64x48:rate=10", frames: 0,
                             ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "frag_keyframe+empty_moov"])
        try check(empty, .failure, mentions: "the stream is empty")
    }

    // MARK: - Good but odd

    func testOneFrame() throws {
        try check(try make("one-frame.mp4", lavfi: "testsrc2=size=64x48:rate=10", frames: 1, ["-c:v", "libx264", "-pix_fmt", "yuv420p"]), .success)
    }

    func test16x16() throws {
        try check(try make("16x16.mp4", lavfi: "testsrc2=size=16x16:rate=10", frames: 4, ["-c:v", "libx264", "-pix_fmt", "yuv420p"]), .success)
    }

    func test426x240() throws {
        try check(try make("426x240.mp4", lavfi: "testsrc2=size=426x240:rate=10", frames: 3, ["-c:v", "libx264", "-pix_fmt", "yuv420p"]), .success)
    }

    func testOddSizes() throws {
        try check(try make("odd-35x21.mkv", lavfi: "testsrc2=size=64x48:rate=10,scale=35:21,format=yuv420p", frames: 4, ["-c:v", "ffv1"]), .success)
        try check(try make("odd-33x17.mp4", lavfi: "testsrc2=size=64x48:rate=10,scale=33:17", frames: 4, ["-c:v", "libx264", "-pix_fmt", "yuv444p"]), .success)
    }

    func test4000x16AtTheDefaultSize() throws {
        let wide = try make("4000x16.mkv", lavfi: "testsrc2=size=4000x16:rate=10,format=gray", frames: 2, ["-c:v", "ffv1"])
        try check(wide, .either, size: [])
    }

    func testTenBit() throws {
        try check(try make("10-bit.mkv", lavfi: "testsrc2=size=64x48:rate=10", frames: 4, ["-c:v", "libx264", "-pix_fmt", "yuv420p10le"]), .success)
    }

    func testInterlaced() throws {
        let film = try make("interlaced.mkv", lavfi: "testsrc2=size=64x48:rate=25", frames: 6,
                            ["-c:v", "mpeg2video", "-flags", "+ilme+ildct", "-top", "1", "-pix_fmt", "yuv420p"])
        try check(film, .success)
        // Each frame (two woven fields) is colorized as one picture: the user is told so, and the
        // output keeps the field order tag, so players still deinterlace it.
        let out = dir.appendingPathComponent("interlaced-note.mkv")
        let r = try CLI.run(["colorize", film.path, "-o", out.path, "--model", model, "--class", "3", "--size", "32"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr.components(separatedBy: "interlaced (top field first)").count - 1, 1,
                       "one word about interlacing expected in: \(r.stderr)")
        if let ffprobe {
            let p = try Self.execute(ffprobe, ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=field_order",
                                               "-of", "csv=p=0", out.path])
            XCTAssertEqual(p.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "tt", "field order of the output")
        }
    }

    func testRotated() throws {
        let upright = try make("upright.mp4", lavfi: "testsrc2=size=64x48:rate=10", frames: 4, ["-c:v", "libx264", "-pix_fmt", "yuv420p"])
        let rotated = dir.appendingPathComponent("rotated.mp4")
        try ffmpegRun(["-i", upright.path, "-c", "copy", "-metadata:s:v:0", "rotate=90", rotated.path])
        try check(rotated, .success)
    }

    func testVariableFrameRate() throws {
        // Frame times 0, 0.1, 0.2, 0.5, 0.8, 1.1, 1.5, 1.9, 2.4: gaps grow.
        let film = try make("vfr.mkv", lavfi: "testsrc2=size=64x48:rate=10", frames: 9,
                            ["-vf", "setpts='(N+N*N/4)/10/TB'", "-fps_mode", "passthrough", "-c:v", "libx264", "-pix_fmt", "yuv420p"])
        try check(film, .success)
    }

    // MARK: - Huge declared dimensions

    func testHugeDimensionsInY4MHeader() throws {
        let header = "YUV4MPEG2 W30000 H30000 F10:1 Ip A1:1 C420jpeg\nFRAME\n"
        try check(try write("huge.y4m", Data(header.utf8) + Data(count: 4096)), .failure, mentions: "30000x30000")
    }

    func testHugeDimensionsInMatroskaHeader() throws {
        // The container claims 30000×30000; the H.264 stream inside is 256×256.
        let film = try make("256.mkv", lavfi: "testsrc2=size=256x256:rate=10", frames: 2, ["-c:v", "libx264", "-pix_fmt", "yuv420p"])
        try check(try write("huge-header.mkv", try claimSize(30000, in: film)), .failure, mentions: "30000x30000")
    }

    func testHugeDimensionsInMatroskaHeaderOfFFV1() throws {
        // FFV1 takes its picture size from the container: a 12000×12000 claim would really be
        // decoded, about 1 GB and 15 s for a 6 kB file, if nothing refused it.
        let film = try make("256-ffv1.mkv", lavfi: "testsrc2=size=256x256:rate=10,format=gray", frames: 2, ["-c:v", "ffv1"])
        try check(try write("huge-ffv1.mkv", try claimSize(12000, in: film)), .failure, mentions: "12000x12000")
    }

    /// A Matroska file made at 256×256, with PixelWidth and PixelHeight changed to `size`.
    func claimSize(_ size: Int, in film: URL) throws -> Data {
        var data = try Data(contentsOf: film)
        for element in [Data([0xB0, 0x82, 0x01, 0x00]), Data([0xBA, 0x82, 0x01, 0x00])] {   // PixelWidth, PixelHeight = 256
            let r = try XCTUnwrap(data.range(of: element))
            data.replaceSubrange((r.lowerBound + 2)..<r.upperBound, with: [UInt8(size >> 8), UInt8(size & 0xFF)])
        }
        return data
    }

    func testHugeDimensionsInJPEGFrames() throws {
        // Motion JPEG whose every SOF0 says 16000×16000 (under FFmpeg's own picture size limit).
        let film = try make("mjpeg.avi", lavfi: "testsrc2=size=64x48:rate=10", frames: 2, ["-c:v", "mjpeg", "-pix_fmt", "yuvj420p"])
        var data = try Data(contentsOf: film)
        var from = data.startIndex, patched = 0
        while let r = data.range(of: Data([0xFF, 0xC0, 0x00, 0x11, 0x08]), in: from..<data.endIndex) {
            data.replaceSubrange(r.upperBound..<(r.upperBound + 4), with: [0x3E, 0x80, 0x3E, 0x80])
            from = r.upperBound
            patched += 1
        }
        XCTAssertEqual(patched, 2)
        try check(try write("huge-jpeg.avi", data), .failure)
    }

    func testHugeDimensionsInMPEG2SequenceHeader() throws {
        // 12000×12000 in the sequence header and its extension (the top bits of each size).
        let film = try make("small.m2v", lavfi: "testsrc2=size=64x48:rate=25", frames: 2, ["-c:v", "mpeg2video", "-f", "mpeg2video"])
        var data = try Data(contentsOf: film)
        let size = 12000
        let seq = try XCTUnwrap(data.range(of: Data([0, 0, 1, 0xB3]))).upperBound
        data[seq] = UInt8((size >> 4) & 0xFF)
        data[seq + 1] = UInt8((size & 0xF) << 4 | (size >> 8) & 0xF)
        data[seq + 2] = UInt8(size & 0xFF)
        let ext = try XCTUnwrap(data.range(of: Data([0, 0, 1, 0xB5]))).upperBound
        // After the start code: id(4) profile/level(8) progressive(1) chroma(2) h-ext(2) v-ext(2).
        var bits = data[ext..<(ext + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        bits &= ~(UInt32(0b1111) << 13)
        bits |= UInt32((size >> 12) & 3) << 15 | UInt32((size >> 12) & 3) << 13
        for k in 0..<4 { data[ext + k] = UInt8(truncatingIfNeeded: bits >> (24 - 8 * UInt32(k))) }
        try check(try write("huge.m2v", data), .failure, mentions: "12000x12000")
    }

    // MARK: - Running the commands

    /// Runs the four commands on `input`, each into an empty folder of its own, and checks the outcome.
    /// A failure's message must contain `mentions`, when given: the problem, named.
    func check(_ input: URL, _ expect: Expect, size: [String] = ["--size", "32"], mentions: String? = nil,
               file: StaticString = #filePath, line: UInt = #line) throws {
        let before = try Data(contentsOf: input)
        let color = ["--model", model, "--class", "3"] + size + ["-q"]
        let commands: [(name: String, output: String, arguments: (String) -> [String])] = [
            ("colorize", "out.mp4", { ["colorize", input.path, "-o", $0] + color }),
            ("preview", "out.png", { ["preview", input.path, "--frame", "1", "-o", $0] + color }),
            ("shots", "out.csv", { ["shots", input.path, "--csv", $0, "-q"] }),
            ("plan", "out.kcproj.json", { ["plan", input.path, "-o", $0] + color }),
        ]
        let fm = FileManager.default
        for command in commands {
            let folder = dir.appendingPathComponent("\(input.lastPathComponent)-\(command.name)")
            try fm.createDirectory(at: folder, withIntermediateDirectories: false)
            let output = folder.appendingPathComponent(command.output)
            let started = Date()
            let r = try CLI.run(command.arguments(output.path), in: folder)
            let seconds = Date().timeIntervalSince(started)
            let what = "\(input.lastPathComponent) \(command.name)"
            // As a shell reports it: 128 + N for a process killed by signal N.
            let status = r.killedBySignal ? 128 + r.status : r.status
            let stderrLines = r.stderr.split(separator: "\n", omittingEmptySubsequences: true)
            // One line per run for the log: which outcome the CLI gave.
            print(String(format: "corpus: %@ %@ → exit %d (%.1f s) %@", input.lastPathComponent, command.name, status, seconds,
                         stderrLines.first.map(String.init) ?? ""))

            XCTAssertLessThan(status, 128, "\(what): killed by a signal\n\(r.stderr.prefix(2000))", file: file, line: line)
            for crash in ["Fatal error", "Program crashed", "Backtrac", "Stack dump", "Segmentation fault"] {
                XCTAssertFalse(r.stderr.contains(crash), "\(what): crash report on stderr\n\(r.stderr.prefix(2000))", file: file, line: line)
            }
            let left = try fm.contentsOfDirectory(atPath: folder.path).sorted()
            if status != 0 {
                XCTAssertNotEqual(expect, .success, "\(what) should work: \(r.stderr.prefix(2000))", file: file, line: line)
                XCTAssertEqual(stderrLines.count, 1, "\(what): not one line on stderr:\n\(r.stderr.prefix(2000))", file: file, line: line)
                XCTAssertTrue(r.stderr.hasPrefix("Error: ") && r.stderr.count > "Error: ".count + 1,
                              "\(what): not an 'Error: …' line: \(r.stderr.prefix(2000))", file: file, line: line)
                XCTAssertEqual(left, [], "\(what) failed but left files behind", file: file, line: line)
                if let mentions {
                    XCTAssertTrue(r.stderr.contains(mentions), "\(what): '\(mentions)' not in: \(r.stderr)", file: file, line: line)
                }
            } else {
                XCTAssertNotEqual(expect, .failure, "\(what) should have been refused", file: file, line: line)
                XCTAssertEqual(left, [command.output], "\(what): the folder should hold the output and nothing else", file: file, line: line)
                if fm.fileExists(atPath: output.path) {
                    try checkOutput(command.name, output, of: input, strict: expect == .success, r, file: file, line: line)
                }
            }
            XCTAssertEqual(try Data(contentsOf: input), before, "\(what) changed its input", file: file, line: line)
        }
    }

    /// What a successful run wrote: a film with the input's size, frame times and rotation; a PNG
    /// of the input's frame size; a project and a shot list that parse.
    func checkOutput(_ command: String, _ output: URL, of input: URL, strict: Bool, _ r: CLI.Result,
                     file: StaticString, line: UInt) throws {
        let data = try Data(contentsOf: output)
        switch command {
        case "colorize":
            guard strict, let source = try probe(input), let result = try probe(output) else { return }
            XCTAssertEqual(result.width, source.width, "\(output.lastPathComponent) width", file: file, line: line)
            XCTAssertEqual(result.height, source.height, "\(output.lastPathComponent) height", file: file, line: line)
            XCTAssertEqual(result.rotation, source.rotation, "rotation of \(input.lastPathComponent)", file: file, line: line)
            XCTAssertEqual(result.times.count, source.times.count, "frame count of \(input.lastPathComponent)", file: file, line: line)
            if result.times.count == source.times.count {
                for (a, b) in zip(result.times, source.times) where abs(a - b) > 0.002 {
                    XCTFail("frame times of \(input.lastPathComponent): \(result.times) vs \(source.times)", file: file, line: line)
                    break
                }
            }
            if source.pixelFormat.contains("10") {
                XCTAssertTrue(result.pixelFormat.contains("10"), "10-bit input written as \(result.pixelFormat)", file: file, line: line)
            }
        case "preview":
            XCTAssertEqual(Array(data.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "not a PNG", file: file, line: line)
            guard strict, data.count >= 24, let source = try probe(input) else { return }
            let be32 = { (at: Int) in data[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
            let (w, h) = (be32(16), be32(20))
            // Stored or displayed orientation (a rotated film), but the whole frame.
            XCTAssertTrue((w, h) == (source.width, source.height) || (h, w) == (source.width, source.height),
                          "preview of \(input.lastPathComponent) is \(w)x\(h), the film \(source.width)x\(source.height)", file: file, line: line)
        case "plan":
            XCTAssertNoThrow(try JSONSerialization.jsonObject(with: data), "project does not parse", file: file, line: line)
        default:
            XCTAssertTrue(String(decoding: data, as: UTF8.self).contains("\nScene Number,"), "shot list CSV", file: file, line: line)
        }
    }

    // MARK: - Making the corpus

    /// `ffmpeg -f lavfi -i SOURCE -frames:v N ARGS NAME` in the test folder.
    func make(_ name: String, lavfi source: String, frames: Int, _ arguments: [String]) throws -> URL {
        let url = dir.appendingPathComponent(name)
        try ffmpegRun(["-f", "lavfi", "-i", source, "-frames:v", String(frames)] + arguments + [url.path])
        return url
    }

    func ffmpegRun(_ arguments: [String]) throws {
        let r = try Self.execute(ffmpeg, ["-hide_banner", "-loglevel", "error", "-nostdin", "-y"] + arguments)
        guard r.status == 0 else { throw XCTSkip("ffmpeg could not make a corpus file (\(arguments.joined(separator: " "))): \(r.stderr)") }
    }

    func write(_ name: String, _ data: Data) throws -> URL {
        let url = dir.appendingPathComponent(name)
        try data.write(to: url)
        return url
    }

    struct Probe {
        var width: Int, height: Int, rotation: Double, pixelFormat: String, times: [Double]
    }

    /// Size, rotation, pixel format and frame times of the first video stream, from ffprobe.
    func probe(_ url: URL) throws -> Probe? {
        guard let ffprobe else { return nil }
        let r = try Self.execute(ffprobe, ["-v", "error", "-select_streams", "v:0", "-of", "json", "-show_entries",
                                           "stream=width,height,pix_fmt:stream_side_data=rotation:frame=best_effort_timestamp_time",
                                           url.path])
        guard r.status == 0, let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any],
              let stream = (json["streams"] as? [[String: Any]])?.first else { return nil }
        let rotation = (stream["side_data_list"] as? [[String: Any]])?.compactMap { ($0["rotation"] as? NSNumber)?.doubleValue }.first ?? 0
        let times = (json["frames"] as? [[String: Any]] ?? []).compactMap { ($0["best_effort_timestamp_time"] as? String).flatMap(Double.init) }
        return Probe(width: (stream["width"] as? NSNumber)?.intValue ?? 0, height: (stream["height"] as? NSNumber)?.intValue ?? 0, rotation: rotation,
                     pixelFormat: stream["pix_fmt"] as? String ?? "", times: times)
    }

    static func which(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(tool)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func execute(_ tool: String, _ arguments: [String]) throws -> CLI.Result {
        try CLI.run(arguments, executable: URL(fileURLWithPath: tool))
    }
}
