import Foundation
import KinecolorMedia
import XCTest

/// Crash-safe, shardable project renders: a render killed with SIGKILL and run again, and a 3-way
/// sharded render plus `assemble`, both give the same video stream as one uninterrupted render.
final class ResumeAndShardTests: XCTestCase {
    let model = CLI.fixtures.appendingPathComponent("tiny.safetensors").path
    let sample = CLI.repo.appendingPathComponent("Samples/big-buck-bunny-gray.mp4").path
    var dir: URL!

    override func setUpWithError() throws { dir = try CLI.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }
    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    func videoDigest(_ file: String) throws -> String {
        try XCTUnwrap(MediaProbe.packetDigests(of: URL(fileURLWithPath: file), kinds: [.video]).first).md5
    }

    /// Presentation times (seconds, to the microsecond) of every video frame.
    func frameTimes(_ file: String) throws -> [Double] {
        let reader = try MediaReader(url: URL(fileURLWithPath: file))
        var times: [Double] = []
        while let f = try reader.nextFrame() { times.append((reader.video.seconds(ofPTS: f.pts) * 1e6).rounded() / 1e6) }
        return times
    }

    /// The lossless segments in a work folder.
    func segments(_ work: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: work)) ?? []).filter { $0.hasPrefix("shot-") && $0.hasSuffix(".nut") }.sorted()
    }

    /// The shots encoded in the output's codec, with their modification dates.
    func encoded(_ work: String) throws -> [String: Date] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: work)) ?? []).filter { $0.hasSuffix(".packets") }
        return try Dictionary(uniqueKeysWithValues: names.map {
            ($0, try FileManager.default.attributesOfItem(atPath: work + "/" + $0)[.modificationDate] as! Date)
        })
    }

    func plan() throws -> String {
        let project = path("film.kcproj.json")
        let r = try CLI.run(["plan", sample, "-o", project, "--model", model, "--class", "3", "--size", "64", "--smooth", "2", "-q"])
        XCTAssertEqual(r.status, 0, r.stderr)
        return project
    }

    func testKilledRenderResumesToTheSameOutput() throws {
        let project = try plan()
        let reference = try CLI.run(["render", project, "-o", path("reference.mkv"), "--work", path("w0"), "-q"])
        XCTAssertEqual(reference.status, 0, reference.stderr)

        // Start a render and kill it (SIGKILL) once the first shot's segment is complete.
        let p = Process()
        p.executableURL = CLI.binary
        p.arguments = ["render", project, "-o", path("resumed.mkv"), "--work", path("w1"), "-q"]
        p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(120)
        while segments(path("w1")).isEmpty && p.isRunning && Date() < deadline { usleep(20_000) }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        let survivors = segments(path("w1"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("resumed.mkv")), "killed before the end: no output yet")
        XCTAssertGreaterThanOrEqual(survivors.count, 1)

        // Run again: finished shots are kept (same files), the rest is rendered, the result is identical.
        let before = try survivors.map { try FileManager.default.attributesOfItem(atPath: path("w1/\($0)"))[.modificationDate] as! Date }
        let again = try CLI.run(["render", project, "-o", path("resumed.mkv"), "--work", path("w1"), "--keep-work", "-q"])
        XCTAssertEqual(again.status, 0, again.stderr)
        let after = try survivors.map { try FileManager.default.attributesOfItem(atPath: path("w1/\($0)"))[.modificationDate] as! Date }
        XCTAssertEqual(before, after, "finished shots must not be rendered again")
        XCTAssertEqual(try videoDigest(path("resumed.mkv")), try videoDigest(path("reference.mkv")))
    }

    func testThreeShardsAssembleToTheSingleRender() throws {
        let project = try plan()
        XCTAssertEqual(try CLI.run(["render", project, "-o", path("single.mkv"), "--work", path("w0"), "-q"]).status, 0)
        for i in 1...3 {
            let r = try CLI.run(["render", project, "--work", path("shared"), "--shard", "\(i)/3", "-q"])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        XCTAssertEqual(segments(path("shared")).count, 3, "a shard removes nothing: its segments are the assembly's input")
        let a = try CLI.run(["assemble", project, "--work", path("shared"), "-o", path("sharded.mkv"), "-q"])
        XCTAssertEqual(a.status, 0, a.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("shared")), "assembled: the work folder is removed")
        XCTAssertEqual(try videoDigest(path("sharded.mkv")), try videoDigest(path("single.mkv")))
        // Same frames at the same times as the input.
        XCTAssertEqual(try frameTimes(path("sharded.mkv")), try frameTimes(sample))
        // Audio came along, byte for byte.
        let audio = { (f: String) in try MediaProbe.packetDigests(of: URL(fileURLWithPath: f), kinds: [.audio]).map(\.md5) }
        XCTAssertEqual(try audio(path("sharded.mkv")), try audio(sample))
    }

    func testEditingOneShotRendersAndEncodesOnlyThatShot() throws {
        let project = try plan()
        XCTAssertEqual(try CLI.run(["render", project, "-o", path("a.mp4"), "--work", path("w"), "--keep-work", "-q"]).status, 0)
        let first = segments(path("w"))
        XCTAssertEqual(first.count, 3)
        let firstEncoded = try encoded(path("w"))
        XCTAssertEqual(firstEncoded.count, 3, "each shot is also kept encoded in the output's codec")
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: project))) as! [String: Any]
        var shots = json["shots"] as! [[String: Any]]
        shots[1]["seed"] = 42
        json["shots"] = shots
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: project))
        let edited = try CLI.run(["render", project, "-o", path("b.mp4"), "--work", path("w"), "--keep-work"])
        XCTAssertEqual(edited.status, 0, edited.stderr)
        let second = segments(path("w"))
        XCTAssertEqual(second.count, 3, "the old segment of shot 2 is removed")
        XCTAssertEqual(second[0], first[0])
        XCTAssertNotEqual(second[1], first[1])
        XCTAssertEqual(second[2], first[2])
        // Shots 1 and 3 are not encoded again: the same files, untouched; shot 2's is new.
        let secondEncoded = try encoded(path("w"))
        XCTAssertEqual(secondEncoded.count, 3, "the old encoding of shot 2 is removed")
        let kept = secondEncoded.filter { firstEncoded[$0.key] == $0.value }
        XCTAssertEqual(kept.keys.sorted().map { $0.prefix(10) }, ["shot-0001-", "shot-0003-"])
        XCTAssertTrue(edited.stderr.contains("encoding shots"), edited.stderr)

        // The joined film equals a render from scratch, and keeps the input's frame times and audio.
        XCTAssertEqual(try CLI.run(["render", project, "-o", path("fresh.mp4"), "--work", path("w2"), "-q"]).status, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("b.mp4"))),
                       try Data(contentsOf: URL(fileURLWithPath: path("fresh.mp4"))))
        XCTAssertNotEqual(try videoDigest(path("b.mp4")), try videoDigest(path("a.mp4")))
        XCTAssertEqual(try frameTimes(path("b.mp4")), try frameTimes(sample))
        let audio = { (f: String) in try MediaProbe.packetDigests(of: URL(fileURLWithPath: f), kinds: [.audio]).map(\.md5) }
        XCTAssertEqual(try audio(path("b.mp4")), try audio(sample))
    }

    /// A shot's encoded file cut off (a full disk, a killed copy) is encoded again on its own; the
    /// other shots' files are kept and the film is the same as before.
    func testADamagedEncodedShotIsEncodedAgainAlone() throws {
        let project = try plan()
        XCTAssertEqual(try CLI.run(["render", project, "-o", path("a.mp4"), "--work", path("w"), "--keep-work", "-q"]).status, 0)
        let first = try encoded(path("w"))
        let damaged = try XCTUnwrap(first.keys.sorted().first { $0.hasPrefix("shot-0002-") })
        let url = URL(fileURLWithPath: path("w/" + damaged))
        let bytes = try Data(contentsOf: url)
        try bytes.prefix(bytes.count / 2).write(to: url)
        let again = try CLI.run(["render", project, "-o", path("b.mp4"), "--work", path("w"), "--keep-work"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("\(damaged): ends early (a partial file); encoding that shot again"), again.stderr)
        XCTAssertFalse(again.stderr.contains("whole film"), again.stderr)
        let second = try encoded(path("w"))
        XCTAssertEqual(Set(second.keys), Set(first.keys))
        XCTAssertEqual(second.filter { first[$0.key] == $0.value }.keys.sorted().map { $0.prefix(10) }, ["shot-0001-", "shot-0003-"])
        XCTAssertEqual(try Data(contentsOf: url), bytes)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("b.mp4"))), try Data(contentsOf: URL(fileURLWithPath: path("a.mp4"))))
    }

    func testWorkFolderIsRemovedAfterSuccessUnlessKept() throws {
        let project = try plan()
        let work = path(".film.mkv.kinecolor-work")   // the default, beside the output
        XCTAssertEqual(try CLI.run(["render", project, "-o", path("film.mkv"), "-q"]).status, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("film.mkv")))
        XCTAssertFalse(FileManager.default.fileExists(atPath: work), "removed after a successful render")

        XCTAssertEqual(try CLI.run(["render", project, "-o", path("film.mkv"), "-y", "--keep-work", "-q"]).status, 0)
        let kept = segments(work)
        XCTAssertEqual(kept.count, 3)
        let dates = { try kept.map { try FileManager.default.attributesOfItem(atPath: "\(work)/\($0)")[.modificationDate] as! Date } }
        let before = try dates()
        let again = try CLI.run(["render", project, "-o", path("film.mkv"), "-y", "--keep-work"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("3 shots, 0 to render"), again.stderr)
        XCTAssertEqual(try dates(), before, "the kept segments are reused, none rendered again")
        XCTAssertEqual(segments(work), kept)

        // The project's own setting keeps it too; without either, the next success removes it.
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: project))) as! [String: Any]
        var defaults = json["defaults"] as! [String: Any]
        defaults["keep_work"] = true
        json["defaults"] = defaults
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: project))
        XCTAssertEqual(try CLI.run(["render", project, "-o", path("film.mkv"), "-y", "-q"]).status, 0)
        XCTAssertEqual(segments(work), kept)
        defaults["keep_work"] = false
        json["defaults"] = defaults
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: project))
        XCTAssertEqual(try CLI.run(["render", project, "-o", path("film.mkv"), "-y", "-q"]).status, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work))
    }

    func testReviewClipOfSomeShotsKeepsTheirAudio() throws {
        let project = try plan()
        let r = try CLI.run(["render", project, "--shots", "1,3", "-o", path("review.mkv"), "--work", path("w"), "--keep-work", "-q"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(segments(path("w")).count, 2, "only the chosen shots are rendered")
        let times = try frameTimes(path("review.mkv"))
        XCTAssertEqual(times.count, 88)
        XCTAssertEqual(times.first, 0)
        XCTAssertEqual(times[44], 1.76, accuracy: 0.001, "shot 3 follows shot 1 without a gap")
        let audio = try XCTUnwrap(MediaProbe.packetDigests(of: URL(fileURLWithPath: path("review.mkv")), kinds: [.audio]).first)
        let last = try XCTUnwrap(audio.presentationTimes.compactMap { $0 }.max())
        XCTAssertEqual(last, 3.52, accuracy: 0.05, "the audio of the two shots, moved with them")
        CLI.assertOneLineError(try CLI.run(["render", project, "--shots", "2,9", "-o", path("x.mkv"), "--work", path("w")]), mentions: "shot 9")
    }

    func testAssembleRefusesMissingShotsAndBadShardSpecs() throws {
        let project = try plan()
        XCTAssertEqual(try CLI.run(["render", project, "--work", path("w"), "--shard", "1/3", "-q"]).status, 0)
        CLI.assertOneLineError(try CLI.run(["assemble", project, "--work", path("w"), "-o", path("x.mkv"), "-q"]), mentions: "not rendered yet")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("x.mkv")))
        let bad = try CLI.run(["render", project, "--work", path("w"), "--shard", "4/3"])
        XCTAssertNotEqual(bad.status, 0)
    }
}
