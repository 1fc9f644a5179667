import Foundation
import XCTest

/// Runs the PyTorch converter on a random checkpoint in the official layout and checks the Swift
/// engine against the official-layout forward. Needs python3 with torch; skips cleanly otherwise.
final class ConverterTests: XCTestCase {
    func testConvertedOfficialCheckpointMatchesPyTorch() throws {
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = ["python3", "-c", "import torch"]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        do { try probe.run(); probe.waitUntilExit() } catch { throw XCTSkip("python3 is not available") }
        guard probe.terminationStatus == 0 else { throw XCTSkip("PyTorch is not installed; converter test skipped") }

        let work = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        check.arguments = ["python3", CLI.repo.appendingPathComponent("Training/check_converter.py").path, "--work", work.path]
        check.standardOutput = FileHandle.nullDevice
        try check.run()
        check.waitUntilExit()
        XCTAssertEqual(check.terminationStatus, 0, "check_converter.py failed")

        let classIndex = try String(contentsOf: work.appendingPathComponent("class.txt"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let y = work.appendingPathComponent("y.npy")
        let r = try CLI.run(["model", "forward", "--model", work.appendingPathComponent("model.safetensors").path,
                             "--input", work.appendingPathComponent("x.npy").path, "--class", classIndex,
                             "--z", work.appendingPathComponent("z.npy").path, "--output", y.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let got = try CLI.readNPYFloats(y), expected = try CLI.readNPYFloats(work.appendingPathComponent("expected.npy"))
        XCTAssertEqual(got.shape, expected.shape)
        let worst = zip(got.values, expected.values).map { abs($0 - $1) }.max() ?? .infinity
        XCTAssertLessThan(worst, 1e-4)
    }
}
