import Foundation
import KinecolorMedia
import XCTest

/// The probe's repros: inputs that crashed Kinecolor or damaged an output end in a one-line
/// error or a correct result.
final class HardeningTests: XCTestCase {
    let model = CLI.fixtures.appendingPathComponent("tiny.safetensors").path
    let gray = CLI.repo.appendingPathComponent("Tests/CLITests/gray.png").path
    var dir: URL!

    override func setUpWithError() throws { dir = try CLI.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }
    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    /// A few frames of a moving ramp at any size, lossless; the first starts at `firstPTS`/25 s.
    func clip(_ name: String, width w: Int, height h: Int, frames: Int = 3, firstPTS: Int64 = 0,
              range: ColorRange = .unspecified) throws -> String {
        let url = dir.appendingPathComponent(name)
        let info = VideoStreamInfo(width: w, height: h, timeBase: Rational(1, 25), frameRate: Rational(25, 1), colorRange: range)
        let writer = try MediaWriter(url: url, copyingStreamsFrom: nil, video: info, options: EncodeOptions(codec: .ffv1))
        for t in 0..<frames {
            let y = (0..<(w * h)).map { UInt16(16 + ($0 % w + $0 / w + 4 * t) % 200) }
            try writer.write(VideoFrame(width: w, height: h, y: y, pts: firstPTS + Int64(t), duration: 1, index: t))
        }
        try writer.finish()
        return url.path
    }

    /// Width and height from a PNG's IHDR chunk.
    func pngSize(_ file: String) throws -> (width: Int, height: Int) {
        let d = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)).prefix(24))
        func be(_ i: Int) -> Int { d[i..<(i + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return (be(16), be(20))
    }

    // MARK: Crash cause 1: libswscale overran tight buffers when writing PNG previews.

    func testPreviewsAtSizesThatOverranThePictureBuffer() throws {
        for (w, h) in [(426, 240), (330, 186), (334, 180), (18, 14), (17, 13)] {
            let film = try clip("c\(w)x\(h).mkv", width: w, height: h, frames: 1)
            let png = path("p\(w)x\(h).png")
            let r = try CLI.run(["preview", film, "--frame", "1", "-o", png, "--model", model, "--class", "3", "--size", "32", "-q"])
            XCTAssertEqual(r.status, 0, "\(w)×\(h): \(r.stderr)")
            let size = try pngSize(png)
            XCTAssertTrue(size == (w, h), "\(w)×\(h) preview is \(size)")
        }
    }

    // MARK: Crash cause 2: the network size was unbounded.

    func testExtremeAspectRatiosAreSqueezedNotAllocated() throws {
        let wide = try clip("wide.mkv", width: 4000, height: 16, frames: 2)
        // At --size 128 the unbounded network asked for a 128×32000 input (an attention matrix of 67 GB).
        let r = try CLI.run(["colorize", wide, "-o", path("wide-color.mkv"), "--model", model, "--class", "3", "--size", "128", "-q"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("wide-color.mkv")))

        let tall = path("tall.png")
        try StillImage.writePNG(rgb: [UInt8](repeating: 90, count: 16 * 4000 * 3), width: 16, height: 4000, to: URL(fileURLWithPath: tall))
        let i = try CLI.run(["image", tall, "-o", path("tall-color.png"), "--model", model, "--class", "3", "--size", "128"])
        XCTAssertEqual(i.status, 0, i.stderr)
        XCTAssertTrue(try pngSize(path("tall-color.png")) == (16, 4000))
    }

    func testNetworkSizeIsBoundedEverywhere() throws {
        let film = try clip("film.mkv", width: 64, height: 48)
        for size in ["4096", "9223372036854775792", "-16", "24"] {
            CLI.assertOneLineError(try CLI.run(["colorize", film, "-o", path("o.mkv"), "--model", model, "--size", size]),
                                   mentions: "'--size <n>': \(size) is not a multiple of 16")
        }
        CLI.assertOneLineError(try CLI.run(["model", "bench", "--model", model, "--size", "4096x4096"]), mentions: "larger than the network allows")

        let big = path("big.safetensors")
        try CLI.model(URL(fileURLWithPath: model), withMetadata: ["inference": #"{"size": 4096}"#], to: URL(fileURLWithPath: big))
        CLI.assertOneLineError(try CLI.run(["model", "info", big]), mentions: "inference.size 4096")

        let project = path("p.kcproj.json")
        XCTAssertEqual(try CLI.run(["plan", film, "-o", project, "--model", model, "--class", "3", "--size", "32", "-q"]).status, 0)
        try editProject(project) { $0["defaults"] = ($0["defaults"] as! [String: Any]).merging(["size": 4096]) { $1 } }
        CLI.assertOneLineError(try CLI.run(["render", project, "-o", path("r.mkv"), "--model", model, "-q"]), mentions: "defaults.size 4096")
    }

    // MARK: Crash cause 3: numbers without ranges.

    func testEveryNumericOptionHasARange() throws {
        let film = try clip("film.mkv", width: 64, height: 48)
        let cases: [([String], String)] = [
            (["--smooth", "9223372036854775807"], "--smooth 9223372036854775807 must be in 0…25"),
            (["--smooth", "-1"], "--smooth -1 must be in 0…25"),
            (["--z-std", "nan"], "--z-std nan must be in"),
            (["--z-std", "inf"], "--z-std inf must be in"),
            (["--z-std", "1e308"], "--z-std 1e+308 must be in"),
            (["--crf", "99"], "--crf 99 must be in 0…51"),
            (["--threads", "0"], "--threads 0 must be in"),
            (["--video-stream", "-2"], "--video-stream -2 must be in"),
            (["--saturation", "-1"], "--saturation -1.0 must be in"),
        ]
        for (flags, message) in cases {
            let r = try CLI.run(["colorize", film, "-o", path("o.mkv"), "--model", model] + flags)
            CLI.assertOneLineError(r, mentions: message)
            XCTAssertFalse(r.stderr.contains("Missing value"), r.stderr)
        }
        CLI.assertOneLineError(try CLI.run(["preview", film, "--frame", "-3", "-o", path("p.png")]), mentions: "--frame -3 must be in")
        CLI.assertOneLineError(try CLI.run(["shots", film, "--min-shot", "0"]), mentions: "--min-shot 0 must be in")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("o.mkv")))
    }

    // MARK: Crash cause 4: model headers trusted before they were checked against the file.

    func testDamagedModelHeadersAreOneLineErrors() throws {
        let header = try safetensorsHeader(model)
        let meta = header["__metadata__"] as! [String: String]
        let config = meta["config"]!
        func replacing(_ key: String, with value: String) -> String {
            config.replacingOccurrences(of: #""\#(key)": *[^,}\]]+"#, with: "\"\(key)\": \(value)", options: .regularExpression)
        }
        let cases: [(String, [String: String], String)] = [
            ("shared", ["config": replacing("shared_dim", with: "1000000000000")], "shared_dim 1000000000000 must be in"),
            ("dimz", ["config": replacing("dim_z", with: "9223372036854775807")], "dim_z 9223372036854775807 must be in"),
            ("width", ["config": config.replacingOccurrences(of: "\"encoder_channels\": [8,", with: "\"encoder_channels\": [65536,")
                .replacingOccurrences(of: "\"encoder_channels\":[8,", with: "\"encoder_channels\":[65536,")], "channel widths must be in"),
            ("dup", ["config": String(config.dropLast()) + ", \"num_classes\": 10}"], "duplicate key"),
            ("format", ["format": "something.else"], "metadata 'format'"),
            ("version", ["architecture_version": "2"], "metadata 'architecture_version'"),
        ]
        for (name, metadata, message) in cases {
            let file = path("\(name).safetensors")
            try CLI.model(URL(fileURLWithPath: model), withMetadata: metadata, to: URL(fileURLWithPath: file))
            CLI.assertOneLineError(try CLI.run(["model", "info", file]), mentions: message)
            CLI.assertOneLineError(try CLI.run(["image", gray, "-o", path("\(name).png"), "--model", file, "--class", "3"]), mentions: message)
            XCTAssertFalse(FileManager.default.fileExists(atPath: path("\(name).png")))
        }
    }

    func testNonFiniteWeightsAreALoadError() throws {
        var data = try Data(contentsOf: URL(fileURLWithPath: model))
        let n = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        // The first float32 of the data section becomes NaN.
        let header = try safetensorsHeader(model)
        let (key, entry) = header.first { $0.key != "__metadata__" && (($0.value as! [String: Any])["dtype"] as! String) == "F32" }!
        let start = 8 + n + ((entry as! [String: Any])["data_offsets"] as! [Int])[0]
        withUnsafeBytes(of: Float.nan.bitPattern.littleEndian) { data.replaceSubrange(start..<(start + 4), with: $0) }
        let file = path("nan.safetensors")
        try data.write(to: URL(fileURLWithPath: file))
        CLI.assertOneLineError(try CLI.run(["model", "info", file]), mentions: "'\(key)' holds NaN or infinite values")
    }

    // MARK: Damage: outputs.

    func testOnlyRegularFilesAreReplaced() throws {
        let fifo = path("fifo.png")
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        let film = try clip("film.mkv", width: 64, height: 48)
        for args in [["image", gray, "-o", fifo, "--model", model, "--class", "3", "-y"],
                     ["shots", film, "--csv", fifo, "-y", "-q"],
                     ["plan", film, "-o", fifo, "--model", model, "--class", "3", "-y", "-q"],
                     ["preview", film, "--frame", "1", "-o", fifo, "--model", model, "--class", "3", "--size", "32", "-y", "-q"]] {
            CLI.assertOneLineError(try CLI.run(args), mentions: "is not a regular file (a FIFO)")
            var info = stat()
            XCTAssertEqual(lstat(fifo, &info), 0)
            XCTAssertEqual(info.st_mode & S_IFMT, S_IFIFO, "\(args[0]) replaced the FIFO")
        }
    }

    func testAProjectClaimingMoreFramesThanTheFilmLeavesNoSegment() throws {
        let film = try clip("film.mkv", width: 64, height: 48, frames: 6)
        let project = path("p.kcproj.json")
        XCTAssertEqual(try CLI.run(["plan", film, "-o", project, "--model", model, "--class", "3", "--size", "32", "-q"]).status, 0)
        try editProject(project) { json in
            var input = json["input"] as! [String: Any]
            input["frame_count"] = 9
            json["input"] = input
            var shots = json["shots"] as! [[String: Any]]
            shots[shots.count - 1]["end_frame"] = 9
            json["shots"] = shots
        }
        let work = path("work")
        let r = try CLI.run(["render", project, "-o", path("out.mkv"), "--work", work, "--model", model, "-q"])
        CLI.assertOneLineError(r, mentions: "has 6 of its 9 frames")
        let left = (try? FileManager.default.contentsOfDirectory(atPath: work)) ?? []
        XCTAssertEqual(left.filter { $0.hasPrefix("shot-") }, [], "a short segment was left under its final name")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("out.mkv")))
    }

    func testProjectsSharingAWorkFolderKeepEachOthersSegments() throws {
        let a = try clip("a.mkv", width: 64, height: 48, frames: 4)
        let b = try clip("b.mkv", width: 48, height: 32, frames: 4)
        let work = path("work")
        for (film, name) in [(a, "a"), (b, "b")] {
            XCTAssertEqual(try CLI.run(["plan", film, "-o", path("\(name).kcproj.json"), "--model", model, "--class", "3", "--size", "32", "-q"]).status, 0)
        }
        func segments() -> Int { ((try? FileManager.default.contentsOfDirectory(atPath: work)) ?? []).filter { $0.hasPrefix("shot-") }.count }
        XCTAssertEqual(try CLI.run(["render", path("a.kcproj.json"), "-o", path("a-out.mkv"), "--work", work, "--model", model, "--keep-work", "-q"]).status, 0)
        let afterA = segments()
        XCTAssertGreaterThan(afterA, 0)
        XCTAssertEqual(try CLI.run(["render", path("b.kcproj.json"), "-o", path("b-out.mkv"), "--work", work, "--model", model, "--keep-work", "-q"]).status, 0)
        XCTAssertGreaterThan(segments(), afterA, "rendering project b deleted project a's segments")
        // Removing b's work after success leaves a's segments, and so the shared folder.
        XCTAssertEqual(try CLI.run(["render", path("b.kcproj.json"), "-o", path("b-out.mkv"), "-y", "--work", work, "--model", model, "-q"]).status, 0)
        XCTAssertEqual(segments(), afterA, "removing project b's work touched project a's segments")
    }

    func testRenderIntoAWorkFolderThatIsAFile() throws {
        let film = try clip("film.mkv", width: 64, height: 48)
        XCTAssertEqual(try CLI.run(["plan", film, "-o", path("p.kcproj.json"), "--model", model, "--class", "3", "--size", "32", "-q"]).status, 0)
        try Data("x".utf8).write(to: URL(fileURLWithPath: path("work")))
        CLI.assertOneLineError(try CLI.run(["render", path("p.kcproj.json"), "-o", path("o.mkv"), "--work", path("work"), "--model", model, "-q"]),
                               mentions: "the work folder is a file")
    }

    func testProjectErrorsNameFieldsAsTheFileSpellsThem() throws {
        let film = try clip("film.mkv", width: 64, height: 48)
        let project = path("p.kcproj.json")
        XCTAssertEqual(try CLI.run(["plan", film, "-o", project, "--model", model, "--class", "3", "--size", "32", "-q"]).status, 0)
        try editProject(project) { json in
            var shots = json["shots"] as! [[String: Any]]
            shots[0]["start_frame"] = "one"
            json["shots"] = shots
        }
        let r = try CLI.run(["render", project, "-o", path("o.mkv"), "--model", model, "-q"])
        CLI.assertOneLineError(r, mentions: "shots[0].start_frame")
        XCTAssertFalse(r.stderr.contains("not valid JSON") || r.stderr.contains("startFrame"), r.stderr)
    }

    func testErrorsQuotingTheInputStayOnOneLine() throws {
        let film = try clip("film.mkv", width: 64, height: 48)
        CLI.assertOneLineError(try CLI.run(["preview", film, "--at", "1\n2", "-o", path("p.png")]), mentions: #"invalid time "1\n2""#)
    }

    /// `--at` counts from the first frame, as `shots` and the project's timecodes do, whatever
    /// the container's first timestamp; a time past the end is an error, not the last frame.
    func testPreviewTimesCountFromTheFirstFrame() throws {
        let film = try clip("late.mkv", width: 64, height: 48, frames: 10, firstPTS: 36)  // starts at 1.44 s
        let r = try CLI.run(["preview", film, "--at", "0.2", "-o", path("p.png"), "--model", model, "--class", "3", "--size", "32", "-q"])
        XCTAssertEqual(r.status, 0, r.stderr)
        CLI.assertOneLineError(try CLI.run(["preview", film, "--at", "5", "-o", path("q.png"), "--model", model, "--class", "3", "--size", "32", "-q"]),
                               mentions: "--at 5 is past the end of the film (00:00:00.400, 10 frames)")
    }

    /// x264 stores the range only beside a color description: a limited-range tag without a
    /// matrix must still reach an MP4.
    func testTheRangeTagSurvivesH264InMP4() throws {
        let film = try clip("tv.mkv", width: 64, height: 48, frames: 2, range: .limited)
        XCTAssertEqual(try MediaReader(url: URL(fileURLWithPath: film)).video.colorRange, .limited)
        let r = try CLI.run(["colorize", film, "-o", path("out.mp4"), "--model", model, "--class", "3", "--size", "32", "-q"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = try MediaReader(url: URL(fileURLWithPath: path("out.mp4"))).video
        XCTAssertEqual(out.colorRange, .limited)
        XCTAssertEqual(out.colorMatrix, .smpte170m)
    }

    /// A QuickTime timecode track is kept (the muxer writes it from the copied timecode), and no
    /// note claims it was dropped.
    func testATimecodeTrackIsKeptInMOV() throws {
        guard let ffmpeg = BadInputCorpusTests.which("ffmpeg"), let ffprobe = BadInputCorpusTests.which("ffprobe") else {
            throw XCTSkip("ffmpeg is not installed")
        }
        let film = path("tc.mov")
        let made = try CLI.run(["-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=25:duration=0.2",
                                "-vf", "format=gray,format=yuv420p", "-c:v", "libx264", "-timecode", "01:00:00:00", film],
                               executable: URL(fileURLWithPath: ffmpeg))
        XCTAssertEqual(made.status, 0, made.stderr)
        let r = try CLI.run(["colorize", film, "-o", path("out.mov"), "--model", model, "--class", "3", "--size", "32"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(r.stderr.contains("left out"), r.stderr)
        let probe = try CLI.run(["-v", "error", "-show_entries", "stream=codec_tag_string", "-of", "csv=p=0", path("out.mov")],
                                executable: URL(fileURLWithPath: ffprobe))
        XCTAssertTrue(probe.stdout.contains("tmcd"), probe.stdout)
    }

    // MARK: Signals

    func testInterruptsExitLikeShellTools() throws {
        let film = try clip("long.mkv", width: 320, height: 240, frames: 400)
        for (sig, code) in [(SIGINT, Int32(130)), (SIGTERM, Int32(143))] {
            let p = Process()
            p.executableURL = CLI.binary
            p.arguments = ["colorize", film, "-o", path("out-\(sig).mkv"), "--model", model, "--class", "3", "--size", "128", "-q"]
            p.standardError = FileHandle.nullDevice
            try p.run()
            Thread.sleep(forTimeInterval: 2)
            XCTAssertTrue(p.isRunning, "finished before it could be interrupted")
            kill(p.processIdentifier, sig)
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, code)
            XCTAssertEqual(p.terminationReason, .exit)
            let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("out-\(sig)") }
            XCTAssertEqual(left, [], "outputs left after an interrupt")
        }
    }

    // MARK: Helpers

    func safetensorsHeader(_ file: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        let n = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        return try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + n))) as! [String: Any]
    }

    func editProject(_ file: String, _ edit: (inout [String: Any]) -> Void) throws {
        let url = URL(fileURLWithPath: file)
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        edit(&json)
        try JSONSerialization.data(withJSONObject: json).write(to: url)
    }
}
