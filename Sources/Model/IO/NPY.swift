import Foundation
import KinecolorFiles
import KinecolorEngine

/// A problem with a .npy file, as one line naming the file and the field or byte offset.
package struct NPYError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file's last path component.
    public let file: String
    public let reason: String
    public var description: String { "\(file): \(reason)" }
}

/// NumPy .npy arrays of little-endian float32 in C order: the exchange format for
/// reference activations and test fixtures. Other dtypes are refused rather than
/// converted, so a float64 reference cannot silently change the tolerance of a comparison.
package enum NPY {
    private static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// Reads format versions 1.0, 2.0 and 3.0.
    public static func read(_ url: URL) throws -> Tensor {
        let name = url.lastPathComponent
        func fail(_ reason: String) -> NPYError { NPYError(file: name, reason: reason) }

        let file = try MappedFile(url: url, makeError: { fail($0) })
        defer { file.unmap() }
        let size = file.size
        guard size >= 10, file.withBytes(0..<6, { Array($0) })! == magic else {
            throw fail("not a .npy file (no \\x93NUMPY magic at byte 0)")
        }
        let (major, minor) = file.withBytes(6..<8) { ($0[0], $0[1]) }!
        let lengthFieldSize: Int
        switch major {
        case 1: lengthFieldSize = 2
        case 2, 3: lengthFieldSize = 4
        default: throw fail("unsupported .npy format version \(major).\(minor)")
        }
        guard size >= 8 + lengthFieldSize else { throw fail("truncated: file ends inside the header length at byte 8") }
        let headerLength = file.withBytes(8..<(8 + lengthFieldSize)) { raw in
            raw.reversed().reduce(0) { $0 << 8 | Int($1) }  // little-endian
        }!
        let headerStart = 8 + lengthFieldSize
        let dataStart = headerStart + headerLength
        guard dataStart <= size else {
            throw fail("truncated: header length \(headerLength) runs past the end of the file (\(size - headerStart) bytes after byte \(headerStart))")
        }
        let headerBytes = file.withBytes(headerStart..<dataStart) { Array($0) }!

        let dict: [String: PyValue]
        do {
            dict = try PyLiteralParser.parseDict(headerBytes)
        } catch let e as JSONSyntaxError {
            throw fail("header is not a Python dict literal: \(e.message) at byte \(headerStart + e.offset)")
        }
        guard let descr = dict["descr"] else { throw fail("header has no 'descr'") }
        guard let fortran = dict["fortran_order"] else { throw fail("header has no 'fortran_order'") }
        guard let shapeValue = dict["shape"] else { throw fail("header has no 'shape'") }

        guard case let .string(dtype) = descr else {
            throw fail("structured dtype \(descr.text) is not supported; save a plain float32 ('<f4') array")
        }
        guard dtype == "<f4" else { throw fail("dtype '\(dtype)' is not supported; save as float32 ('<f4')") }
        guard case let .bool(isFortran) = fortran else { throw fail("'fortran_order' must be True or False, found \(fortran.text)") }
        guard !isFortran else {
            throw fail("fortran_order arrays are not supported; save np.ascontiguousarray(a) instead")
        }
        guard case let .tuple(dims) = shapeValue else { throw fail("'shape' must be a tuple of integers, found \(shapeValue.text)") }
        var shape: [Int] = []
        for d in dims {
            guard case let .int(n) = d, n >= 0 else { throw fail("'shape' must be a tuple of non-negative integers, found \(shapeValue.text)") }
            shape.append(n)
        }

        var count = 1
        for d in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, product <= Int.max / 4 else { throw fail("shape \(shapeValue.text) is too large") }
            count = product
        }
        let available = size - dataStart
        guard available == count * 4 else {
            let problem = available < count * 4 ? "truncated" : "trailing data"
            throw fail("\(problem): shape \(shapeValue.text) needs \(count * 4) bytes of float32 data, file has \(available) after the header")
        }

        let data = file.withBytes(dataStart..<size) { raw in
            (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }!
        return Tensor(shape: shape, data: data)
    }

    /// Writes format 1.0 (2.0 only if the header would not fit), '<f4', C order, with the
    /// header laid out exactly as numpy.save does, atomically (temporary file, then rename).
    public static func write(_ t: Tensor, to url: URL) throws {
        let name = url.lastPathComponent
        func fail(_ reason: String) -> NPYError { NPYError(file: name, reason: reason) }

        let shapeText: String
        switch t.shape.count {
        case 0: shapeText = "()"
        case 1: shapeText = "(\(t.shape[0]),)"
        default: shapeText = "(" + t.shape.map(String.init).joined(separator: ", ") + ")"
        }
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }"
        // numpy leaves room to grow the first axis in place, then aligns the data to 64 bytes
        // (a full 64 spaces when it is already aligned), ending the header with a newline.
        if let first = t.shape.first {
            header += String(repeating: " ", count: max(0, 21 - String(first).count))
        }
        var lengthFieldSize = 2
        var padding = 64 - (8 + lengthFieldSize + header.utf8.count + 1) % 64
        if header.utf8.count + 1 + padding > Int(UInt16.max) {
            lengthFieldSize = 4
            padding = 64 - (8 + lengthFieldSize + header.utf8.count + 1) % 64
        }
        header += String(repeating: " ", count: padding) + "\n"
        let headerLength = header.utf8.count

        var prefix = magic + [lengthFieldSize == 2 ? 1 : 2, 0]
        for i in 0..<lengthFieldSize { prefix.append(UInt8(truncatingIfNeeded: headerLength >> (8 * i))) }

        var out = try AtomicFileWriter(url: url, makeError: { fail($0) })
        do {
            try out.write(prefix + Array(header.utf8))
            #if _endian(little)
            try t.data.withUnsafeBytes { try out.write($0) }
            #else
            try t.data.map { $0.bitPattern.littleEndian }.withUnsafeBytes { try out.write($0) }
            #endif
            try out.commit()
        } catch {
            out.abandon()
            throw error
        }
    }
}

/// The subset of Python literals that appears in .npy headers.
private indirect enum PyValue {
    case string(String)
    case int(Int)
    case bool(Bool)
    case none
    case tuple([PyValue])
    case list([PyValue])
    case dict([(String, PyValue)])

    /// Python-like text for error messages.
    var text: String {
        switch self {
        case let .string(s): return "'\(s)'"
        case let .int(n): return String(n)
        case let .bool(b): return b ? "True" : "False"
        case .none: return "None"
        case let .tuple(items): return items.count == 1 ? "(\(items[0].text),)" : "(" + items.map(\.text).joined(separator: ", ") + ")"
        case let .list(items): return "[" + items.map(\.text).joined(separator: ", ") + "]"
        case let .dict(pairs): return "{" + pairs.map { "'\($0.0)': \($0.1.text)" }.joined(separator: ", ") + "}"
        }
    }
}

/// Parses the header's dict literal without evaluating anything. Errors reuse
/// JSONSyntaxError (message plus offset into the header bytes).
private struct PyLiteralParser {
    private let bytes: [UInt8]
    private var pos = 0
    private var depth = 0

    static func parseDict(_ bytes: [UInt8]) throws -> [String: PyValue] {
        var p = PyLiteralParser(bytes: bytes)
        p.skipWhitespace()
        guard p.peek == UInt8(ascii: "{") else { throw p.error("expected '{', found \(p.describeCurrent())") }
        guard case let .dict(pairs) = try p.parseValue() else { fatalError("unreachable: '{' always parses to a dict") }
        p.skipWhitespace()
        if p.pos < bytes.count { throw p.error("unexpected data after the dict") }
        var result: [String: PyValue] = [:]
        for (k, v) in pairs { result[k] = v }
        return result
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private var peek: UInt8? { pos < bytes.count ? bytes[pos] : nil }

    private func error(_ message: String) -> JSONSyntaxError { JSONSyntaxError(message: message, offset: pos) }

    private func describeCurrent() -> String {
        guard let b = peek else { return "end of header" }
        return (0x21..<0x7f).contains(b) ? "'\(Character(Unicode.Scalar(b)))'" : "byte 0x\(String(b, radix: 16))"
    }

    private mutating func skipWhitespace() {
        while let b = peek, b == 0x20 || b == 0x09 || b == 0x0a || b == 0x0d { pos += 1 }
    }

    private mutating func parseValue() throws -> PyValue {
        skipWhitespace()
        guard let b = peek else { throw error("unexpected end of header") }
        switch b {
        case UInt8(ascii: "{"):
            return .dict(try parseSequence(close: UInt8(ascii: "}")) { p in
                p.skipWhitespace()
                guard case let .string(key) = try p.parseValue() else { throw p.error("dict keys must be strings") }
                p.skipWhitespace()
                guard p.peek == UInt8(ascii: ":") else { throw p.error("expected ':', found \(p.describeCurrent())") }
                p.pos += 1
                return (key, try p.parseValue())
            })
        case UInt8(ascii: "("):
            return .tuple(try parseSequence(close: UInt8(ascii: ")")) { try $0.parseValue() })
        case UInt8(ascii: "["):
            return .list(try parseSequence(close: UInt8(ascii: "]")) { try $0.parseValue() })
        case UInt8(ascii: "'"), UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .int(try parseInt())
        default:
            let start = pos
            while let c = peek, (UInt8(ascii: "A")...UInt8(ascii: "z")).contains(c) { pos += 1 }
            switch String(decoding: bytes[start..<pos], as: UTF8.self) {
            case "True": return .bool(true)
            case "False": return .bool(false)
            case "None": return .none
            default:
                pos = start
                throw error("unexpected \(describeCurrent())")
            }
        }
    }

    /// Items separated by commas up to `close`, with Python's optional trailing comma.
    private mutating func parseSequence<T>(close: UInt8, item: (inout PyLiteralParser) throws -> T) throws -> [T] {
        depth += 1
        defer { depth -= 1 }
        if depth > 32 { throw error("nesting too deep") }
        pos += 1
        var items: [T] = []
        while true {
            skipWhitespace()
            if peek == close { pos += 1; return items }
            items.append(try item(&self))
            skipWhitespace()
            if peek == UInt8(ascii: ",") { pos += 1; continue }
            if peek == close { pos += 1; return items }
            throw error("expected ',' or '\(Character(Unicode.Scalar(close)))', found \(describeCurrent())")
        }
    }

    private mutating func parseString() throws -> String {
        let quote = bytes[pos]
        pos += 1
        var out: [UInt8] = []
        while true {
            guard let b = peek else { throw error("unterminated string") }
            pos += 1
            if b == quote { break }
            if b == UInt8(ascii: "\\") {
                guard let next = peek else { throw error("unterminated string") }
                out.append(next)  // header strings only ever escape quotes and backslashes
                pos += 1
            } else {
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private mutating func parseInt() throws -> Int {
        let start = pos
        if peek == UInt8(ascii: "-") { pos += 1 }
        while let c = peek, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) { pos += 1 }
        guard let value = Int(String(decoding: bytes[start..<pos], as: UTF8.self)) else {
            pos = start
            throw error("malformed integer")
        }
        // Python 2 wrote long integers with an L suffix.
        if peek == UInt8(ascii: "L") { pos += 1 }
        return value
    }
}
