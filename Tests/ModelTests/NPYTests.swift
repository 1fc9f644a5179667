import Foundation
import KinecolorEngine
import XCTest
@testable import KinecolorModel

final class NPYTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("kinecolor-npy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    private let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// A .npy file with the given version, header text (used verbatim) and float data.
    private func npyFile(version: UInt8 = 1, header: String, floats: [Float] = [], extraBytes: [UInt8] = [],
                         name: String = "x.npy") throws -> URL {
        let h = Array(header.utf8)
        var bytes = magic + [version, 0]
        if version == 1 {
            bytes += [UInt8(h.count & 0xff), UInt8(h.count >> 8)]
        } else {
            bytes += withUnsafeBytes(of: UInt32(h.count).littleEndian) { Array($0) }
        }
        bytes += h
        bytes += floats.withUnsafeBytes { Array($0) } + extraBytes
        let url = dir.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    private func assertReadFails(_ url: URL, _ message: String, line: UInt = #line) {
        XCTAssertThrowsError(try NPY.read(url), line: line) { error in
            XCTAssertTrue(error is NPYError, line: line)
            XCTAssertEqual("\(error)", message, line: line)
        }
    }

    func testRoundTrip() throws {
        for t in [Tensor(shape: [2, 3], data: [1, 2, 3, -4, 5.5, .infinity]),
                  Tensor(shape: [5], data: [0, 1, 2, 3, 4]),
                  Tensor(shape: [], data: [3.5]),
                  Tensor(shape: [1, 3, 2, 2], data: (0..<12).map { Float($0) / 7 }),
                  Tensor(shape: [0, 3], data: [])] {
            let url = dir.appendingPathComponent("t.npy")
            try NPY.write(t, to: url)
            XCTAssertEqual(try NPY.read(url), t)
        }
    }

    func testWrittenHeaderMatchesNumpy() throws {
        // numpy.save(np.zeros((2, 3), np.float32)): version 1.0, 118-byte header, data at 128.
        let url = dir.appendingPathComponent("z.npy")
        try NPY.write(Tensor(zeros: [2, 3]), to: url)
        let bytes = [UInt8](try Data(contentsOf: url))
        XCTAssertEqual(bytes.count, 152)
        XCTAssertEqual(Array(bytes[0..<10]), magic + [1, 0, 118, 0])
        let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
        XCTAssertEqual(String(decoding: bytes[10..<128], as: UTF8.self),
                       dict + String(repeating: " ", count: 117 - dict.count) + "\n")
        // 1-D and 0-d shapes use Python's tuple spelling.
        try NPY.write(Tensor(zeros: [5]), to: url)
        XCTAssertTrue(String(decoding: try Data(contentsOf: url), as: UTF8.self).contains("'shape': (5,), }"))
        try NPY.write(Tensor(shape: [], data: [1]), to: url)
        let scalar = [UInt8](try Data(contentsOf: url))
        XCTAssertEqual(scalar.count, 132)
        XCTAssertTrue(String(decoding: scalar, as: UTF8.self).contains("'shape': (), }"))
    }

    func testReadsVersion2And3AndLooseHeaders() throws {
        let v2 = try npyFile(version: 2, header: "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }   \n",
                             floats: [1, 2, 3, 4])
        XCTAssertEqual(try NPY.read(v2), Tensor(shape: [2, 2], data: [1, 2, 3, 4]))
        let v3 = try npyFile(version: 3, header: "{'descr': '<f4', 'fortran_order': False, 'shape': (3,)}\n", floats: [7, 8, 9])
        XCTAssertEqual(try NPY.read(v3), Tensor(shape: [3], data: [7, 8, 9]))
        // Key order, double quotes, Python 2 long suffixes and no trailing comma are all legal.
        let loose = try npyFile(header: "{\"shape\": (1L, 2L), \"fortran_order\": False, \"descr\": \"<f4\"}\n", floats: [5, 6])
        XCTAssertEqual(try NPY.read(loose), Tensor(shape: [1, 2], data: [5, 6]))
    }

    func testRejectsOtherDtypes() throws {
        assertReadFails(try npyFile(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }\n", floats: [0, 0]),
                        "x.npy: dtype '<f8' is not supported; save as float32 ('<f4')")
        assertReadFails(try npyFile(header: "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }\n", floats: [0]),
                        "x.npy: dtype '>f4' is not supported; save as float32 ('<f4')")
        assertReadFails(try npyFile(header: "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }\n", floats: [0]),
                        "x.npy: structured dtype [('a', '<f4')] is not supported; save a plain float32 ('<f4') array")
    }

    func testRejectsFortranOrder() throws {
        assertReadFails(try npyFile(header: "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }\n", floats: [1, 2, 3, 4]),
                        "x.npy: fortran_order arrays are not supported; save np.ascontiguousarray(a) instead")
    }

    func testRejectsTruncatedAndTrailingData() throws {
        assertReadFails(try npyFile(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", floats: [1, 2, 3, 4, 5]),
                        "x.npy: truncated: shape (2, 3) needs 24 bytes of float32 data, file has 20 after the header")
        assertReadFails(try npyFile(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n", floats: [1], extraBytes: [0]),
                        "x.npy: trailing data: shape (1,) needs 4 bytes of float32 data, file has 5 after the header")
        // Header length pointing past the end of the file.
        let url = dir.appendingPathComponent("short.npy")
        try Data(magic + [1, 0, 0xff, 0x00] + Array("{'descr'".utf8)).write(to: url)
        assertReadFails(url, "short.npy: truncated: header length 255 runs past the end of the file (8 bytes after byte 10)")
    }

    func testRejectsBadMagicVersionAndHeader() throws {
        let url = dir.appendingPathComponent("bad.npy")
        try Data(Array("PK\u{3}\u{4} this is a zip".utf8)).write(to: url)
        assertReadFails(url, "bad.npy: not a .npy file (no \\x93NUMPY magic at byte 0)")
        try Data().write(to: url)
        assertReadFails(url, "bad.npy: not a .npy file (no \\x93NUMPY magic at byte 0)")
        try Data(magic + [4, 0, 0, 0, 0, 0]).write(to: url)
        assertReadFails(url, "bad.npy: unsupported .npy format version 4.0")
        assertReadFails(try npyFile(header: "{'descr': '<f4', 'fortran_order': False}\n"), "x.npy: header has no 'shape'")
        assertReadFails(try npyFile(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}\n"),
                        "x.npy: 'shape' must be a tuple of non-negative integers, found (-1,)")
        assertReadFails(try npyFile(header: "{'descr': '<f4', 'fortran_order': Maybe, 'shape': ()}\n"),
                        "x.npy: header is not a Python dict literal: unexpected 'M' at byte 44")
    }

    func testMissingFile() {
        XCTAssertThrowsError(try NPY.read(dir.appendingPathComponent("none.npy"))) {
            XCTAssertEqual("\($0)", "none.npy: cannot open: No such file or directory")
        }
    }
}
