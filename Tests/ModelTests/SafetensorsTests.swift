import Foundation
import KinecolorEngine
import XCTest
@testable import KinecolorModel

final class SafetensorsTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("kinecolor-st-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    // MARK: helpers

    /// A file made of an explicit header length, header text and data bytes.
    private func rawFile(_ header: String, data: [UInt8] = [], length: UInt64? = nil,
                         name: String = "model.safetensors") throws -> URL {
        let headerBytes = Array(header.utf8)
        var bytes = withUnsafeBytes(of: (length ?? UInt64(headerBytes.count)).littleEndian) { Array($0) }
        bytes += headerBytes + data
        return try write(bytes, name: name)
    }

    private func write(_ bytes: [UInt8], name: String = "model.safetensors") throws -> URL {
        let url = dir.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    /// Asserts that opening `url` throws a SafetensorsError whose message contains every fragment.
    private func assertOpenFails(_ url: URL, _ fragments: String..., line: UInt = #line) {
        XCTAssertThrowsError(try SafetensorsFile(url: url), line: line) { error in
            guard let e = error as? SafetensorsError else { return XCTFail("wrong error type \(error)", line: line) }
            XCTAssertTrue(e.description.hasPrefix("\(url.lastPathComponent): "), e.description, line: line)
            XCTAssertFalse(e.description.contains("\n"), e.description, line: line)
            for f in fragments { XCTAssertTrue(e.description.contains(f), "'\(e.description)' lacks '\(f)'", line: line) }
        }
    }

    // MARK: round trips

    func testRoundTripF32WithMetadataAndScalar() throws {
        let url = dir.appendingPathComponent("model.safetensors")
        let w = Tensor(shape: [2, 3, 1, 1], data: [1, -2.5, 3e-8, .greatestFiniteMagnitude, -0.0, 7])
        let gamma = Tensor(shape: [], data: [0.25])
        let empty = Tensor(shape: [0, 4], data: [])
        let metadata = ["format": "kinecolor.bigcolor", "config": "{\"dim_z\": 119}", "quote\"key": "line\nbreak ✓"]
        try SafetensorsWriter.write([("G.w", w), ("G.blocks.3.1.gamma", gamma), ("empty", empty)],
                                    metadata: metadata, to: url)

        let file = try SafetensorsFile(url: url)
        XCTAssertEqual(file.metadata, metadata)
        XCTAssertEqual(file.names, ["G.blocks.3.1.gamma", "G.w", "empty"])
        XCTAssertTrue(file.info("G.w")! == ("F32", [2, 3, 1, 1]))
        XCTAssertTrue(file.info("G.blocks.3.1.gamma")! == ("F32", []))
        XCTAssertNil(file.info("missing"))
        XCTAssertEqual(try file.tensor("G.w"), w)
        XCTAssertEqual(try file.tensor("G.blocks.3.1.gamma"), gamma)
        XCTAssertEqual(try file.tensor("empty"), empty)

        // The data area starts 8-byte aligned and the header is standard JSON.
        let bytes = try Data(contentsOf: url)
        let headerLength = Int(bytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        XCTAssertEqual((8 + headerLength) % 8, 0)
        let json = try JSONSerialization.jsonObject(with: bytes.subdata(in: 8..<(8 + headerLength))) as? [String: Any]
        XCTAssertNotNil(json?["__metadata__"])
        XCTAssertEqual(bytes.count, 8 + headerLength + 4 * 7)
    }

    func testRoundTripF16() throws {
        let url = dir.appendingPathComponent("half.safetensors")
        let exact = Tensor(shape: [6], data: [0, -1, 0.5, 65504, 6.1035156e-05, 5.9604645e-08])  // incl. min normal / subnormal
        let rounded = Tensor(shape: [2, 2], data: [0.1, 1.0 / 3.0, -2049, 1e-9])
        try SafetensorsWriter.write([("exact", exact), ("rounded", rounded)], to: url, dtype: .f16)
        let file = try SafetensorsFile(url: url)
        XCTAssertEqual(file.info("exact")?.dtype, "F16")
        XCTAssertEqual(try file.tensor("exact"), exact)
        let r = try file.tensor("rounded")
        XCTAssertEqual(r.shape, [2, 2])
        // Nearest halves: 0.1 → 0.099975586, 1/3 → 0.33325195, −2049 → −2048 (tie to even), 1e-9 → 0.
        XCTAssertEqual(r.data, [0.099975586, 0.33325195, -2048, 0])
        XCTAssertEqual(try Data(contentsOf: url).count % 2, 0)
    }

    func testF16OverflowIsAnError() throws {
        let url = dir.appendingPathComponent("big.safetensors")
        XCTAssertThrowsError(try SafetensorsWriter.write([("w", Tensor(shape: [2], data: [1, 70000]))], to: url, dtype: .f16)) {
            XCTAssertEqual("\($0)", "big.safetensors: tensor 'w' value 70000.0 at index 1 is out of F16 range")
        }
        // The failed write leaves nothing behind, not even the temporary file.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [])
    }

    func testWriterRejectsBadNames() throws {
        let url = dir.appendingPathComponent("m.safetensors")
        let t = Tensor(shape: [1], data: [1])
        XCTAssertThrowsError(try SafetensorsWriter.write([("a", t), ("a", t)], to: url)) {
            XCTAssertEqual("\($0)", "m.safetensors: duplicate tensor name 'a'")
        }
        XCTAssertThrowsError(try SafetensorsWriter.write([("__metadata__", t)], to: url))
    }

    func testWriteReplacesAtomically() throws {
        let url = dir.appendingPathComponent("m.safetensors")
        try SafetensorsWriter.write([("a", Tensor(shape: [1], data: [1]))], to: url)
        let old = try SafetensorsFile(url: url)
        try SafetensorsWriter.write([("b", Tensor(shape: [2], data: [2, 3]))], to: url)
        // The old mapping still sees the old file (rename, not overwrite in place).
        XCTAssertEqual(try old.tensor("a").data, [1])
        XCTAssertEqual(try SafetensorsFile(url: url).names, ["b"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["m.safetensors"])
    }

    // MARK: reading files written elsewhere

    func testReadsBF16AndHandWrittenHeader() throws {
        // bfloat16 is the top half of a float: 1.0 = 0x3F80, −2.5 = 0xC020, 3.140625 = 0x4049.
        let data: [UInt8] = [0x80, 0x3f, 0x20, 0xc0, 0x49, 0x40, 0x00, 0x00]
        let header = #"{"b":{"shape":[2,2],"dtype":"BF16","data_offsets":[0,8]},"__metadata__":{"k":"v"}}   "#
        let file = try SafetensorsFile(url: try rawFile(header, data: data))
        XCTAssertEqual(try file.tensor("b"), Tensor(shape: [2, 2], data: [1, -2.5, 3.140625, 0]))
        XCTAssertEqual(file.metadata, ["k": "v"])
    }

    func testNonFloatDtypesOpenButAreNotReadAsFloat() throws {
        let header = #"{"step":{"dtype":"I64","shape":[],"data_offsets":[0,8]},"w":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
        let file = try SafetensorsFile(url: try rawFile(header, data: [UInt8](repeating: 0, count: 12)))
        XCTAssertTrue(file.info("step")! == ("I64", []))
        XCTAssertEqual(try file.tensor("w").data, [0])
        XCTAssertThrowsError(try file.tensor("step")) {
            XCTAssertEqual("\($0)", "model.safetensors: tensor 'step' has dtype I64; only F32, F16 and BF16 can be read as float")
        }
        XCTAssertThrowsError(try file.tensor("nope")) { XCTAssertEqual("\($0)", "model.safetensors: no tensor named 'nope'") }
    }

    func testCloseReleasesTheMapping() throws {
        let url = dir.appendingPathComponent("m.safetensors")
        try SafetensorsWriter.write([("a", Tensor(shape: [1], data: [1]))], metadata: ["x": "y"], to: url)
        let file = try SafetensorsFile(url: url)
        let copy = file
        file.close()
        XCTAssertThrowsError(try copy.tensor("a")) { XCTAssertTrue("\($0)".contains("closed")) }
        XCTAssertEqual(copy.metadata, ["x": "y"])
        XCTAssertEqual(copy.names, ["a"])
    }

    // MARK: corrupt files

    func testMissingFile() {
        assertOpenFails(dir.appendingPathComponent("absent.safetensors"), "cannot open")
    }

    func testEmptyAndTinyFiles() throws {
        assertOpenFails(try write([]), "file is 0 bytes", "8-byte header length")
        assertOpenFails(try write([1, 2, 3, 4]), "file is 4 bytes")
    }

    func testHeaderLengthPastEOF() throws {
        assertOpenFails(try rawFile("{}", length: 1000), "header length 1000 runs past the end of the file (2 bytes after the length)")
        assertOpenFails(try rawFile("{}", length: 0x4d4d_4d4d_4d4d), "over the 100000000-byte limit")
    }

    func testBadJSON() throws {
        assertOpenFails(try rawFile(#"{"a": {"dtype": "F32",}}"#), "header is not valid JSON", "at byte 30")
        assertOpenFails(try rawFile(#"{"a": 1} x"#), "not valid JSON", "unexpected data after")
        assertOpenFails(try rawFile(""), "not valid JSON", "end of header")
        assertOpenFails(try rawFile(#"[1, 2]"#), "header is not a JSON object (found an array)")
        assertOpenFails(try rawFile(#"{"a": 1, "a": 2}"#), "duplicate key \"a\" at byte 17")
        var bytes = withUnsafeBytes(of: UInt64(6).littleEndian) { Array($0) }
        bytes += [0x7b, 0x22, 0xff, 0x22, 0x7d, 0x20]  // {"\xff"}
        assertOpenFails(try write(bytes), "header is not valid UTF-8 (byte 10)")
    }

    func testMissingFields() throws {
        assertOpenFails(try rawFile(#"{"w":{"shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), "tensor 'w' has no dtype")
        assertOpenFails(try rawFile(#"{"w":{"dtype":"F32","data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), "tensor 'w' has no shape")
        assertOpenFails(try rawFile(#"{"w":{"dtype":"F32","shape":[1]}}"#, data: [0, 0, 0, 0]), "tensor 'w' has no data_offsets")
        assertOpenFails(try rawFile(#"{"w":[1,2]}"#), "tensor 'w' must be an object")
    }

    func testUnknownDtype() throws {
        assertOpenFails(try rawFile(#"{"w":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}}"#, data: [0]),
                        "tensor 'w' has unknown dtype 'Q4'")
        assertOpenFails(try rawFile(#"{"w":{"dtype":32,"shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]),
                        "tensor 'w' dtype must be a string")
    }

    func testBadShapes() throws {
        assertOpenFails(try rawFile(#"{"w":{"dtype":"F32","shape":[2,-1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]),
                        "tensor 'w' shape must be a list of non-negative integers, found [2, -1]")
        assertOpenFails(try rawFile(#"{"w":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]),
                        "found [1.0]")
        assertOpenFails(try rawFile(#"{"w":{"dtype":"F32","shape":[99999999999,99999999999],"data_offsets":[0,4]}}"#),
                        "shape [99999999999, 99999999999] is too large")
        assertOpenFails(try rawFile(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#, data: [0, 0, 0, 0]),
                        "tensor 'w' data_offsets must be [begin, end] with 0 <= begin <= end, found [4, 0]")
    }

    func testShapeOffsetMismatch() throws {
        let url = try rawFile(#"{"E.res1.conv.weight":{"dtype":"F32","shape":[96,1,1,1],"data_offsets":[0,100]}}"#,
                              data: [UInt8](repeating: 0, count: 100))
        XCTAssertThrowsError(try SafetensorsFile(url: url)) {
            XCTAssertEqual("\($0)", "model.safetensors: tensor 'E.res1.conv.weight' data_offsets [0, 100] do not match shape [96, 1, 1, 1] of F32 (384 bytes)")
        }
    }

    func testTruncatedData() throws {
        let url = try rawFile(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F16","shape":[3],"data_offsets":[8,14]}}"#,
                              data: [UInt8](repeating: 0, count: 10))
        XCTAssertThrowsError(try SafetensorsFile(url: url)) {
            XCTAssertEqual("\($0)", "model.safetensors: truncated: header says 14 bytes of data, file has 10 after the header")
        }
    }

    func testOverlappingOffsets() throws {
        let header = #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"z":{"dtype":"F32","shape":[1],"data_offsets":[16,20]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#
        assertOpenFails(try rawFile(header, data: [UInt8](repeating: 0, count: 20)),
                        "tensors 'a' [0, 16] and 'b' [8, 16] overlap")
        // Touching ranges and empty tensors anywhere are fine.
        let ok = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"e":{"dtype":"F32","shape":[0],"data_offsets":[2,2]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        XCTAssertEqual(try SafetensorsFile(url: try rawFile(ok, data: [UInt8](repeating: 0, count: 8))).names, ["a", "b", "e"])
    }

    func testMetadataMustBeStrings() throws {
        assertOpenFails(try rawFile(#"{"__metadata__":{"format":"x","architecture_version":1}}"#),
                        "__metadata__ must map strings to strings, but 'architecture_version' is a number")
        assertOpenFails(try rawFile(#"{"__metadata__":["x"]}"#), "__metadata__ must be an object of strings, found an array")
    }

    // MARK: half-precision conversions

    func testHalfConversionsAgreeWithFloat16() {
        #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
        for bits in 0...UInt16.max {
            let ours = floatFromHalfBits(bits)
            let reference = Float(Float16(bitPattern: bits))
            if reference.isNaN {
                XCTAssertTrue(ours.isNaN)
                XCTAssertTrue(halfBits(from: ours) & 0x7c00 == 0x7c00 && halfBits(from: ours) & 0x3ff != 0)
            } else {
                XCTAssertEqual(ours.bitPattern, reference.bitPattern, "half 0x\(String(bits, radix: 16))")
                XCTAssertEqual(halfBits(from: ours), bits)
            }
        }
        // Narrowing: exhaustive over float exponents that matter, sampled mantissas (ties included).
        var state: UInt32 = 12345
        for exponent in UInt32(90)...UInt32(160) {
            for k in 0..<400 {
                state = state &* 1_664_525 &+ 1_013_904_223
                let low: UInt32 = k < 8 ? [0, 0x1000, 0x0fff, 0x1001, 0x3000, 0x7f_ffff, 0x40_1000, 0x2000][k] : state & 0x7f_ffff
                for sign: UInt32 in [0, 0x8000_0000] {
                    let f = Float(bitPattern: sign | exponent << 23 | low)
                    XCTAssertEqual(halfBits(from: f), Float16(f).bitPattern, "\(f)")
                }
            }
        }
        XCTAssertEqual(halfBits(from: .infinity), 0x7c00)
        XCTAssertEqual(halfBits(from: -.infinity), 0xfc00)
        #endif
    }
}
