import Foundation
import XCTest
@testable import KinecolorMedia

/// The repository's sample, found next to this file so tests run from any working directory.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
let sampleURL = repositoryRoot.appendingPathComponent("Samples/big-buck-bunny-gray.mp4")
/// The larger corpus: `$KINECOLOR_SHARED/samples`, else `../shared/samples` beside the
/// repository (where CI and the development machines keep it); tests that need it skip without.
let sharedSamples: URL = {
    if let shared = ProcessInfo.processInfo.environment["KINECOLOR_SHARED"], !shared.isEmpty {
        return URL(fileURLWithPath: shared).appendingPathComponent("samples")
    }
    return repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/samples")
}()

/// A fresh directory per test, removed afterwards.
class MediaTestCase: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("kinecolor-media-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let directory {
            _ = try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
            try? FileManager.default.removeItem(at: directory)
        }
    }

    func file(_ name: String) -> URL { directory.appendingPathComponent(name) }

    /// Names in the test directory, hidden ones included (partial files are hidden).
    func listing() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    }

    func sharedSample(_ name: String) throws -> URL {
        let url = sharedSamples.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("\(url.path) is not available on this machine")
        }
        return url
    }
}

/// All frames of a file's video stream.
func readAll(_ url: URL, limit: Int = .max) throws -> (info: VideoStreamInfo, frames: [VideoFrame]) {
    let reader = try MediaReader(url: url)
    var frames: [VideoFrame] = []
    while frames.count < limit, let frame = try reader.nextFrame() { frames.append(frame) }
    return (reader.video, frames)
}

/// Decodes `input` and writes it straight back out, as the pipeline does with new chroma.
@discardableResult
func roundTrip(_ input: URL, to output: URL, options: EncodeOptions, limit: Int = .max,
               transform: (VideoFrame) -> VideoFrame = { $0 }) throws -> MediaWriter {
    let reader = try MediaReader(url: input)
    let writer = try MediaWriter(url: output, copyingStreamsFrom: input, video: reader.video, options: options)
    var count = 0
    while count < limit, let frame = try reader.nextFrame() {
        try writer.write(transform(frame))
        count += 1
    }
    try writer.finish()
    return writer
}

/// PSNR in dB between two planes of the same size, for samples of `bitDepth` bits.
func psnr(_ a: [UInt16], _ b: [UInt16], bitDepth: Int = 8) -> Double {
    precondition(a.count == b.count)
    var sum = 0.0
    for i in 0..<a.count {
        let d = Double(Int(a[i]) - Int(b[i]))
        sum += d * d
    }
    if sum == 0 { return .infinity }
    let peak = Double((1 << bitDepth) - 1)
    return 10 * log10(peak * peak / (sum / Double(a.count)))
}

/// A minimal PCM WAV file: 16-bit mono, `samples` samples of a sine at `rate` Hz (8 kHz by default).
func wavBytes(samples: Int = 8000, rate: UInt32 = 8000) -> Data {
    var data = Data()
    func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    let payload = UInt32(samples * 2)
    data.append(contentsOf: Array("RIFF".utf8)); u32(36 + payload)
    data.append(contentsOf: Array("WAVE".utf8))
    data.append(contentsOf: Array("fmt ".utf8)); u32(16); u16(1); u16(1); u32(rate); u32(rate * 2); u16(2); u16(16)
    data.append(contentsOf: Array("data".utf8)); u32(payload)
    for i in 0..<samples { u16(UInt16(bitPattern: Int16(8000 * sin(Double(i) * 2 * .pi * 440 / Double(rate))))) }
    return data
}

/// A synthetic gradient frame that moves with `index`, so an encoder has real work to do.
func syntheticFrame(width: Int, height: Int, bitDepth: Int = 8, chroma: ChromaSubsampling = .yuv420,
                    pts: Int64, duration: Int64, index: Int) -> VideoFrame {
    let maxValue = (1 << bitDepth) - 1
    var y = [UInt16](repeating: 0, count: width * height)
    for row in 0..<height {
        for x in 0..<width {
            let v = ((x + index * 3) * maxValue / width + row * maxValue / (2 * height)) % (maxValue + 1)
            y[row * width + x] = UInt16(v)
        }
    }
    let cw = chroma.planeWidth(width), ch = chroma.planeHeight(height)
    var u = [UInt16](repeating: 0, count: cw * ch), v = u
    for row in 0..<ch {
        for x in 0..<cw {
            u[row * cw + x] = UInt16((x * maxValue) / max(cw, 1))
            v[row * cw + x] = UInt16((row * maxValue) / max(ch, 1))
        }
    }
    return VideoFrame(width: width, height: height, bitDepth: bitDepth, fullRange: false, chroma: chroma,
                      y: y, u: u, v: v, pts: pts, duration: duration, index: index)
}

/// Asserts a thrown MediaError of `kind` whose one-line message names the file and contains `text`.
func assertMediaError(_ kind: MediaError.Kind, mentioning text: String, file path: URL,
                      _ body: () throws -> Void, line: UInt = #line) {
    do {
        try body()
        XCTFail("expected a \(kind) error", line: line)
    } catch let error as MediaError {
        XCTAssertEqual(error.kind, kind, "\(error)", line: line)
        let message = "\(error)"
        XCTAssertFalse(message.contains("\n"), "not one line: \(message)", line: line)
        XCTAssertTrue(message.hasPrefix(path.relativePath + ": "), "does not name the file: \(message)", line: line)
        XCTAssertTrue(message.contains(text), "\(message) does not mention \(text)", line: line)
    } catch {
        XCTFail("unexpected error type: \(error)", line: line)
    }
}
