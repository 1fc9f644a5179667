import Foundation
import XCTest

/// `kinecolor colorize` / `shots` / `preview` / `image` as a user runs them, and what they do with bad input.
final class ColorizeCommandTests: XCTestCase {
    let model = CLI.fixtures.appendingPathComponent("tiny.safetensors").path
    let sample = CLI.repo.appendingPathComponent("Samples/big-buck-bunny-gray.mp4").path
    var dir: URL!

    override func setUpWithError() throws { dir = try CLI.temporaryDirectory() }
    override func tearDownWithError() throws {
        _ = try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.path)
        try? FileManager.default.removeItem(at: dir)
    }
    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    func colorize(_ input: String, _ output: String, _ extra: [String] = []) throws -> CLI.Result {
        try CLI.run(["colorize", input, "-o", output, "--model", model, "--class", "3", "--size", "64", "-q"] + extra)
    }

    func testShotsListsCutsAndWritesCSVAndEDL() throws {
        let r = try CLI.run(["shots", sample, "--csv", path("s.csv"), "--edl", path("s.edl"), "-q"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout.split(separator: "\n").count, 3, r.stdout)
        let csv = try String(contentsOfFile: path("s.csv"), encoding: .utf8)
        XCTAssertTrue(csv.hasPrefix("Timecode List:,00:00:01.760,00:00:03.520\n"), csv)
        XCTAssertTrue(csv.contains("\n2,45,00:00:01.760,1.760,88,"), csv)
        let edl = try String(contentsOfFile: path("s.edl"), encoding: .utf8)
        XCTAssertTrue(edl.contains("FCM: NON-DROP FRAME"), edl)
    }

    func testColorizePreviewAndImageWork() throws {
        let out = path("bunny.mkv")
        let r = try colorize(sample, out, ["--codec", "ffv1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out))
        // Nothing but the output is left in the folder (no partial files).
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["bunny.mkv"])
        let p = try CLI.run(["preview", sample, "--at", "00:00:02.5", "-o", path("p.png"), "--model", model, "--class", "3", "--size", "64", "-q"])
        XCTAssertEqual(p.status, 0, p.stderr)
        let i = try CLI.run(["image", CLI.repo.appendingPathComponent("Tests/CLITests/gray.png").path, "-o", path("i.png"), "--model", model, "--class", "1", "--size", "32"])
        XCTAssertEqual(i.status, 0, i.stderr)
        for png in ["p.png", "i.png"] {
            let data = try Data(contentsOf: URL(fileURLWithPath: path(png)))
            XCTAssertEqual(Array(data.prefix(4)), [0x89, 0x50, 0x4E, 0x47], png)
        }
    }

    /// `image` shows its steps on a terminal (run under `script`, which gives it one): a large
    /// still takes seconds, and a user should see which step it is in. In a pipe, a picture done in
    /// under a second prints nothing.
    func testImageShowsItsStepsOnATerminal() throws {
        let script = "/usr/bin/script"
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: script), "needs script(1) for a terminal")
        let gray = CLI.repo.appendingPathComponent("Tests/CLITests/gray.png").path
        let command = [CLI.binary.path, "image", gray, "-o", path("i.png"), "--model", model, "--class", "1", "--size", "32"]
            .map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let r = try CLI.run(["-qec", command, "/dev/null"], executable: URL(fileURLWithPath: script),
                            environment: ["TERM": "xterm"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        for words in ["1/4 decoding gray.png", "2/4 colorizing", "3/4 adding the chroma at", "4/4 writing i.png", "done in 0:0"] {
            XCTAssertTrue(r.stdout.contains(words), "'\(words)' not in: \(r.stdout)")
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("i.png")))
        let piped = try CLI.run(["image", gray, "-o", path("j.png"), "--model", model, "--class", "1", "--size", "32"])
        XCTAssertEqual(piped.status, 0, piped.stderr)
        XCTAssertEqual(piped.stderr, "")
    }

    func testBadInputsGetOneLineErrorsAndLeaveNothingBehind() throws {
        let fm = FileManager.default
        fm.createFile(atPath: path("empty.mp4"), contents: Data())
        fm.createFile(atPath: path("notes.txt"), contents: Data("just some text\n".utf8))
        try fm.createDirectory(atPath: path("folder.mp4"), withIntermediateDirectories: false)
        let whole = try Data(contentsOf: URL(fileURLWithPath: sample))
        fm.createFile(atPath: path("cut.mp4"), contents: whole.prefix(3000))
        // A WAV file: audio only.
        var wav = Data("RIFF".utf8) + le32(36 + 800) + Data("WAVEfmt ".utf8) + le32(16)
        wav += le16(1) + le16(1) + le32(8000) + le32(16000) + le16(2) + le16(16) + Data("data".utf8) + le32(800) + Data(count: 800)
        fm.createFile(atPath: path("sound.wav"), contents: wav)

        CLI.assertOneLineError(try colorize(path("missing.mp4"), path("o1.mp4")), mentions: "no such file")
        CLI.assertOneLineError(try colorize(path("empty.mp4"), path("o2.mp4")), mentions: "empty")
        CLI.assertOneLineError(try colorize(path("notes.txt"), path("o3.mp4")), mentions: "notes.txt")
        CLI.assertOneLineError(try colorize(path("folder.mp4"), path("o4.mp4")), mentions: "directory")
        CLI.assertOneLineError(try colorize(path("sound.wav"), path("o5.mp4")), mentions: "no video stream")
        CLI.assertOneLineError(try colorize(path("cut.mp4"), path("o6.mp4")), mentions: "cut.mp4")
        CLI.assertOneLineError(try colorize(sample, sample), mentions: "input")
        CLI.assertOneLineError(try colorize(sample, path("nowhere/o7.mp4")), mentions: "does not exist")
        CLI.assertOneLineError(try colorize(sample, "/sys/o8.mp4"), mentions: "/sys")
        fm.createFile(atPath: path("exists.mp4"), contents: Data("keep me".utf8))
        CLI.assertOneLineError(try colorize(sample, path("exists.mp4")), mentions: "already exists")
        XCTAssertEqual(try String(contentsOfFile: path("exists.mp4"), encoding: .utf8), "keep me")
        CLI.assertOneLineError(try colorize(sample, path("o9.webm")), mentions: "cannot be stored in .webm")
        CLI.assertOneLineError(try colorize(sample, path("o10.mp4"), ["--class", "99"]), mentions: "class 99")
        CLI.assertOneLineError(try colorize(sample, path("o11.mp4"), ["--saturation", "9"]), mentions: "--saturation")
        CLI.assertOneLineError(try colorize(sample, path("o12.mp4"), ["--size", "100"]), mentions: "--size")
        // Inputs untouched, no outputs or partial files left.
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: sample)), whole)
        let left = try fm.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("o") || $0.hasPrefix(".") }
        XCTAssertEqual(left, [])
    }

    func le32(_ v: Int) -> Data { withUnsafeBytes(of: UInt32(v).littleEndian) { Data($0) } }
    func le16(_ v: Int) -> Data { withUnsafeBytes(of: UInt16(v).littleEndian) { Data($0) } }
}
