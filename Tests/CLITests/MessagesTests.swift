import Foundation
import KinecolorFiles
import KinecolorModel
import KinecolorPipeline
@testable import kinecolor
import XCTest

/// The library's typed errors name no flag; the command turns them into its one-line messages.
final class MessagesTests: XCTestCase {
    func testTypedErrorsBecomeMessagesThatNameTheFlag() {
        XCTAssertEqual(Messages.text(for: SettingError.size(24)),
                       "--size 24 is not a multiple of 16 in 16…512 (the network's memory grows with the fourth power of its size)")
        XCTAssertEqual(Messages.text(for: SettingError.saturation(-1)), "--saturation -1.0 must be in 0…4")
        XCTAssertEqual(Messages.text(for: SettingError.zStd(.nan)), "--z-std nan must be in 0…4")
        XCTAssertEqual(Messages.text(for: SettingError.smoothing(99)), "--smooth 99 must be in 0…25")
        XCTAssertEqual(Messages.text(for: ClassNeeded(model: "tiny")),
                       "model 'tiny' cannot estimate classes; choose one with --class NAME|INDEX")
        XCTAssertEqual(Messages.text(for: FileError.alreadyExists("out.mkv")), "out.mkv: already exists (use --overwrite to replace it)")
        XCTAssertEqual(Messages.text(for: ModelError.noEmbeddedModel),
                       "the embedded default model is missing from this build; pass --model PATH")
        XCTAssertEqual(Messages.text(for: ModelError.notEnoughMemory(height: 512, width: 1024, neededBytes: 3_000_000_000,
                                                                     availableBytes: 1_000_000_000)),
                       "a 512×1024 network input needs about 3.0 GB of memory and 1.0 GB is available; use a smaller --size")
        // Errors that already read as the user should see them pass through.
        XCTAssertNil(Messages.text(for: FileError("x", "is a directory")))
        XCTAssertNil(Messages.text(for: PipelineError("x.mkv: no video frames could be decoded")))
        XCTAssertNil(Messages.text(for: ModelError.unknownClass("dog")))
    }

    /// End to end: the tiny test model has no class head, so `auto` needs a class named.
    func testTheBinaryPrintsTheMessage() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = CLI.fixtures.appendingPathComponent("tiny.safetensors").path
        let gray = CLI.repo.appendingPathComponent("Tests/CLITests/gray.png").path
        let out = dir.appendingPathComponent("out.png").path
        let r = try CLI.run(["image", gray, "-o", out, "--model", model, "--size", "32"])
        CLI.assertOneLineError(r, mentions: "model 'tiny-random' cannot estimate classes; choose one with --class NAME|INDEX")
        XCTAssertEqual(try CLI.run(["image", gray, "-o", out, "--model", model, "--size", "32", "--class", "1"]).status, 0)
        CLI.assertOneLineError(try CLI.run(["image", gray, "-o", out, "--model", model, "--class", "1"]),
                               mentions: "out.png: already exists (use --overwrite to replace it)")
    }
}
