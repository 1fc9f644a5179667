import Foundation
import KinecolorMedia
import XCTest

/// One copied `kinecolor` file is a working install: the default model travels inside the
/// executable, so the binary needs nothing from its build folder (issue 10, item 8).
final class PortableBinaryTests: XCTestCase {
    func testReleaseBinaryCopiedAloneColorizesAStill() throws {
        let (binary, scratch) = try Self.releaseBuild()
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.copyItem(at: binary, to: dir.appendingPathComponent("kinecolor"))

        // As on another machine: the build folder is gone while the copy runs (a binary that
        // looked for its model there crashed in Bundle.module).
        let away = scratch.path + ".away"
        try FileManager.default.moveItem(atPath: scratch.path, toPath: away)
        defer { try? FileManager.default.moveItem(atPath: away, toPath: scratch.path) }

        // No HOME, no TMPDIR, a minimal PATH, the working directory the empty folder; the still
        // comes from elsewhere, the output lands next to the binary.
        let gray = CLI.repo.appendingPathComponent("Tests/CLITests/gray.png").path
        var environment = ["PATH=/usr/bin:/bin"]
        // A sanitizer build still needs its options.
        if let asan = ProcessInfo.processInfo.environment["ASAN_OPTIONS"] { environment.append("ASAN_OPTIONS=\(asan)") }
        let r = try Self.execute("/usr/bin/env", ["-i"] + environment + ["./kinecolor", "image", gray, "-o", "out.png"], in: dir)
        XCTAssertFalse(r.killedBySignal, "killed by signal \(r.status): \(r.stderr.prefix(2000))")
        XCTAssertEqual(r.status, 0, String(r.stderr.prefix(2000)))
        XCTAssertFalse(r.stderr.contains("Fatal error") || r.stderr.contains("crashed"), String(r.stderr.prefix(2000)))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ["kinecolor", "out.png"])
        guard r.status == 0 else { return }

        // It colorized: the gray input has no chroma, the output has plenty.
        let reader = try MediaReader(url: dir.appendingPathComponent("out.png"))
        defer { reader.close() }
        let frame = try XCTUnwrap(try reader.nextFrame())
        let rgb = try StillImage.rgb(frame, matrix: .bt601)
        let pixels = rgb.count / 3
        XCTAssertEqual(pixels, 48 * 40)
        var spread = 0
        for i in 0..<pixels {
            let p = rgb[(3 * i)..<(3 * i + 3)]
            spread += Int(p.max()!) - Int(p.min()!)
        }
        XCTAssertGreaterThan(Double(spread) / Double(pixels), 5, "the still came out gray")
    }

    /// Builds the release `kinecolor` (`swift build -c release --product kinecolor`) and returns it
    /// with its scratch folder. `swift test` holds its own build folder's lock while the tests run,
    /// so this build has a scratch folder of its own inside it: a full release build the first
    /// time (about 3 minutes on 2 idle cores), incremental after.
    static func releaseBuild() throws -> (binary: URL, scratch: URL) {
        // <outer scratch>/<triple>/<configuration>/kinecolor
        let outer = CLI.binary.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let scratch = outer.appendingPathComponent("portable-release-test")
        // An interrupted run may have left the folder moved away.
        let away = scratch.path + ".away"
        if FileManager.default.fileExists(atPath: away) {
            if FileManager.default.fileExists(atPath: scratch.path) { try FileManager.default.removeItem(atPath: away) }
            else { try FileManager.default.moveItem(atPath: away, toPath: scratch.path) }
        }
        // Without the review server: its web framework's release build would cost CI minutes, and
        // its page is compiled into the binary like the model (Package.swift), so it is as portable.
        let arguments = ["KINECOLOR_NO_REVIEW=1", "swift", "build", "-c", "release", "--product", "kinecolor",
                         "--package-path", CLI.repo.path, "--scratch-path", scratch.path]
        let build = try execute("/usr/bin/env", arguments, timeout: 1800)
        if build.status == 127 { throw XCTSkip("no swift on PATH to build the release binary with") }
        guard build.status == 0 else {
            throw ReleaseBuildError("swift build -c release failed (\(build.status)):\n\(build.stdout.suffix(2000))\n\(build.stderr.suffix(2000))")
        }
        let binPath = try execute("/usr/bin/env", arguments + ["--show-bin-path"], timeout: 300)
        let binary = URL(fileURLWithPath: binPath.stdout.trimmingCharacters(in: .whitespacesAndNewlines)).appendingPathComponent("kinecolor")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw ReleaseBuildError("swift build -c release left no binary at \(binary.path)")
        }
        return (binary, scratch)
    }

    static func execute(_ program: String, _ arguments: [String], in directory: URL? = nil,
                        timeout: TimeInterval = 300) throws -> CLI.Result {
        try CLI.run(arguments, executable: URL(fileURLWithPath: program), in: directory, timeout: timeout)
    }
}

private struct ReleaseBuildError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
