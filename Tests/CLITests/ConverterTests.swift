import Foundation
import XCTest

/// Runs the PyTorch converter on a random checkpoint in the official layout and checks the Swift
/// engine against the official-layout forward. Needs python3 with torch, numpy and safetensors; skips
/// cleanly otherwise. The Python package is the checkout's own (Training/src on PYTHONPATH), installed or not.
final class ConverterTests: XCTestCase {
    func testConvertedOfficialCheckpointMatchesPyTorch() throws {
        var environment = ProcessInfo.processInfo.environment
        let packageRoot = CLI.repo.appendingPathComponent("Training/src").path
        environment["PYTHONPATH"] = [packageRoot, environment["PYTHONPATH"] ?? ""].filter { !$0.isEmpty }.joined(separator: ":")

        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = ["python3", "-c", "import torch, numpy, safetensors"]
        probe.environment = environment
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        do { try probe.run(); probe.waitUntilExit() } catch { throw XCTSkip("python3 is not available") }
        guard probe.terminationStatus == 0 else {
            throw XCTSkip("PyTorch, numpy or safetensors is not installed for python3; converter test skipped")
        }

        let work = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        check.arguments = ["python3", "-m", "kinecolor_training.check_converter", "--work", work.path]
        check.environment = environment
        check.standardOutput = FileHandle.nullDevice
        try check.run()
        check.waitUntilExit()
        XCTAssertEqual(check.terminationStatus, 0, "kinecolor_training.check_converter failed")

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
