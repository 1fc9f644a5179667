import Foundation
import XCTest

/// Runs the built `kinecolor` binary the way a user does.
enum CLI {
    static var binary: URL {
        // The test bundle sits next to the products (.build/<config>/…xctest); where exactly
        // Bundle points differs between platforms, so look in both places.
        let bundle = Bundle(for: Token.self).bundleURL
        let candidates = [bundle.appendingPathComponent("kinecolor"),
                          bundle.deletingLastPathComponent().appendingPathComponent("kinecolor")]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = repo.appendingPathComponent("Tests/ModelTests/Fixtures")

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        /// True when a signal ended the process; `status` is then the signal number.
        var killedBySignal = false
    }

    /// Runs `executable` (the built kinecolor by default) with the test's environment plus
    /// `environment`, ending it after `timeout` seconds.
    @discardableResult
    static func run(_ arguments: [String], executable: URL? = nil, environment: [String: String] = [:],
                    in directory: URL? = nil, timeout: TimeInterval = 1800) throws -> Result {
        let p = Process()
        p.executableURL = executable ?? binary
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        // Every run analyses its film afresh unless a test asks for the cache (AnalysisCacheTests).
        env["KINECOLOR_CACHE"] = "off"
        for (k, v) in environment { env[k] = v }
        p.environment = env
        if let directory { p.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let deadline = DispatchWorkItem { if p.isRunning { p.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: deadline)
        // Both pipes are drained at once so a chatty child cannot block on either.
        final class Box: @unchecked Sendable { var data = Data() }  // written before `leave`, read after `wait`
        let e = Box()
        let drained = DispatchGroup()
        drained.enter()
        DispatchQueue.global().async {
            e.data = err.fileHandleForReading.readDataToEndOfFile()
            drained.leave()
        }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        drained.wait()
        p.waitUntilExit()
        deadline.cancel()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                      stderr: String(decoding: e.data, as: UTF8.self), killedBySignal: p.terminationReason == .uncaughtSignal)
    }

    /// A copy of a safetensors model with `__metadata__` entries added or replaced, written with
    /// plain byte handling so the test does not depend on the library it checks.
    static func model(_ source: URL, withMetadata extra: [String: String], to url: URL) throws {
        let data = try Data(contentsOf: source)
        let n = Int(data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        var header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + n))) as! [String: Any]
        var meta = header["__metadata__"] as? [String: String] ?? [:]
        for (k, v) in extra { meta[k] = v }
        header["__metadata__"] = meta
        let json = try JSONSerialization.data(withJSONObject: header)
        var out = withUnsafeBytes(of: UInt64(json.count).littleEndian) { Data($0) }
        out += json
        out += data.subdata(in: (8 + n)..<data.count)
        try out.write(to: url)
    }

    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kinecolor-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A user-facing failure: non-zero exit, and exactly one line on stderr that mentions `needle`.
    static func assertOneLineError(_ r: Result, mentions needle: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNotEqual(r.status, 0, "expected a failure", file: file, line: line)
        let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: true)
        XCTAssertEqual(lines.count, 1, "stderr: \(r.stderr)", file: file, line: line)
        XCTAssertTrue(r.stderr.contains(needle), "'\(needle)' not in: \(r.stderr)", file: file, line: line)
        XCTAssertFalse(r.stderr.contains("Fatal error") || r.stderr.contains("Stack dump"), r.stderr, file: file, line: line)
    }

    /// Writes a float32 .npy (v1.0 header) without depending on the library under test.
    static func writeNPY(_ values: [Float], shape: [Int], to url: URL, descr: String = "<f4") throws {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var data = Data([0x93]) + Data("NUMPY".utf8) + Data([1, 0])
        let n = UInt16(header.utf8.count)
        data += Data([UInt8(n & 0xff), UInt8(n >> 8)]) + Data(header.utf8)
        if descr == "<f8" {
            for v in values { withUnsafeBytes(of: Double(v).bitPattern.littleEndian) { data += Data($0) } }
        } else {
            for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data += Data($0) } }
        }
        try data.write(to: url)
    }

    static func readNPYFloats(_ url: URL) throws -> (shape: [Int], values: [Float]) {
        let data = try Data(contentsOf: url)
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        let header = String(decoding: data[10..<(10 + headerLength)], as: UTF8.self)
        let shapeText = header.components(separatedBy: "'shape': (")[1].components(separatedBy: ")")[0]
        let shape = shapeText.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let body = data[(10 + headerLength)...]
        var values = [Float](repeating: 0, count: body.count / 4)
        _ = values.withUnsafeMutableBytes { body.copyBytes(to: $0) }
        return (shape, values)
    }

    private final class Token {}
}
