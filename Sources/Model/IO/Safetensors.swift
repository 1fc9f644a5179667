import Foundation
import KinecolorFiles
import KinecolorEngine

/// A problem with a safetensors file, as one line naming the file and the key or byte offset.
public struct SafetensorsError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file's last path component.
    public let file: String
    public let reason: String
    public var description: String { "\(file): \(reason)" }
}

/// A safetensors file, memory-mapped (or, for the embedded default model, read in place from the
/// executable) and validated when opened.
///
/// Every header entry is checked up front (dtype, shape, offsets against the data area,
/// overlaps), so a damaged or truncated model fails at load time with a precise message
/// instead of producing garbage weights later. Tensors are copied out on demand.
/// Copies of this value share one mapping; `close()` releases it for all of them
/// (it is also released when the last copy goes away).
public struct SafetensorsFile: Sendable {
    /// The header's `__metadata__` map (empty when absent).
    public let metadata: [String: String]
    /// Tensor names, sorted.
    public let names: [String]

    private let entries: [String: Entry]
    private let file: MappedFile
    private let dataStart: Int

    private struct Entry: Sendable {
        let dtype: String
        let shape: [Int]
        let begin: Int
        let end: Int
    }

    /// Byte size of one element for each dtype the format defines. Only the float ones
    /// can be read; the rest are still validated so a file with e.g. an I64 step counter opens.
    private static let dtypeSizes: [String: Int] = [
        "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "F8_E8M0": 1,
        "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
        "I32": 4, "U32": 4, "F32": 4,
        "I64": 8, "U64": 8, "F64": 8, "C64": 8,
    ]
    private static let floatDtypes: Set<String> = ["F32", "F16", "BF16"]

    /// The reference implementation refuses larger headers; anything bigger is almost
    /// certainly a file of another kind whose first bytes read as a huge length.
    static let maxHeaderLength = 100_000_000

    public init(url: URL) throws {
        let name = url.lastPathComponent
        try self.init(file: try MappedFile(url: url, makeError: { SafetensorsError(file: name, reason: $0) }))
    }

    /// A safetensors file held in memory for the life of the process (the embedded default
    /// model), read in place with the same checks as a file on disk. `name` stands for the file
    /// name in messages.
    init(name: String, staticBytes: UnsafeRawBufferPointer) throws {
        try self.init(file: MappedFile(name: name, staticBytes: staticBytes))
    }

    private init(file: MappedFile) throws {
        let name = file.name
        func fail(_ reason: String) -> SafetensorsError { SafetensorsError(file: name, reason: reason) }

        guard file.size >= 8 else {
            throw fail("file is \(file.size) bytes, too short for the 8-byte header length")
        }
        let rawLength = file.withBytes(0..<8) { $0.loadUnaligned(as: UInt64.self) }!
        let headerLength = UInt64(littleEndian: rawLength)
        let afterLength = file.size - 8
        if headerLength > UInt64(Self.maxHeaderLength) {
            throw fail("header length \(headerLength) is over the \(Self.maxHeaderLength)-byte limit; not a safetensors file?")
        }
        if headerLength > UInt64(afterLength) {
            throw fail("header length \(headerLength) runs past the end of the file (\(afterLength) bytes after the length)")
        }
        let dataStart = 8 + Int(headerLength)
        let headerBytes = file.withBytes(8..<dataStart) { Array($0) }!

        if let bad = firstInvalidUTF8Offset(headerBytes) {
            throw fail("header is not valid UTF-8 (byte \(8 + bad))")
        }
        let header: JSON
        do {
            header = try JSONParser.parse(headerBytes)
        } catch let e as JSONSyntaxError {
            throw fail("header is not valid JSON: \(e.message) at byte \(8 + e.offset)")
        }
        guard case let .object(members) = header else {
            throw fail("header is not a JSON object (found \(header.kindName))")
        }

        var metadata: [String: String] = [:]
        var entries: [String: Entry] = [:]
        for (key, value) in members {
            if key == "__metadata__" {
                guard case let .object(pairs) = value else {
                    throw fail("__metadata__ must be an object of strings, found \(value.kindName)")
                }
                for (metaKey, metaValue) in pairs {
                    guard case let .string(s) = metaValue else {
                        throw fail("__metadata__ must map strings to strings, but '\(metaKey)' is \(metaValue.kindName)")
                    }
                    metadata[metaKey] = s
                }
            } else {
                entries[key] = try Self.parseEntry(key, value, fail: fail)
            }
        }

        // Offsets are relative to the data area; the largest end must lie inside it.
        let dataSize = file.size - dataStart
        let needed = entries.values.map(\.end).max() ?? 0
        if needed > dataSize {
            throw fail("truncated: header says \(needed) bytes of data, file has \(dataSize) after the header")
        }

        // Sorted by start, a range overlaps an earlier one exactly when it starts before the
        // furthest end seen so far. Empty tensors occupy no bytes and cannot overlap.
        let ranges = entries.filter { $0.value.begin < $0.value.end }
            .sorted { ($0.value.begin, $0.key) < ($1.value.begin, $1.key) }
        var furthest: (name: String, entry: Entry)? = nil
        for (key, entry) in ranges {
            if let f = furthest, entry.begin < f.entry.end {
                throw fail("tensors '\(f.name)' [\(f.entry.begin), \(f.entry.end)] and '\(key)' [\(entry.begin), \(entry.end)] overlap")
            }
            if furthest == nil || entry.end > furthest!.entry.end { furthest = (key, entry) }
        }

        self.metadata = metadata
        self.names = entries.keys.sorted()
        self.entries = entries
        self.file = file
        self.dataStart = dataStart
    }

    private static func parseEntry(_ key: String, _ value: JSON, fail: (String) -> SafetensorsError) throws -> Entry {
        guard case let .object(fields) = value else {
            throw fail("tensor '\(key)' must be an object, found \(value.kindName)")
        }
        func field(_ name: String) throws -> JSON {
            guard let v = fields.first(where: { $0.key == name })?.value else { throw fail("tensor '\(key)' has no \(name)") }
            return v
        }

        let dtypeValue = try field("dtype")
        guard case let .string(dtype) = dtypeValue else {
            throw fail("tensor '\(key)' dtype must be a string, found \(dtypeValue.compactText)")
        }
        guard let elementSize = dtypeSizes[dtype] else { throw fail("tensor '\(key)' has unknown dtype '\(dtype)'") }

        let shapeValue = try field("shape")
        guard case let .array(dims) = shapeValue else {
            throw fail("tensor '\(key)' shape must be a list of non-negative integers, found \(shapeValue.compactText)")
        }
        let shape = dims.compactMap(\.nonNegativeInt)
        guard shape.count == dims.count else {
            throw fail("tensor '\(key)' shape must be a list of non-negative integers, found \(shapeValue.compactText)")
        }

        let offsetsValue = try field("data_offsets")
        guard case let .array(offsetItems) = offsetsValue, offsetItems.count == 2,
              let begin = offsetItems[0].nonNegativeInt, let end = offsetItems[1].nonNegativeInt, begin <= end else {
            throw fail("tensor '\(key)' data_offsets must be [begin, end] with 0 <= begin <= end, found \(offsetsValue.compactText)")
        }

        let shapeText = "[" + shape.map(String.init).joined(separator: ", ") + "]"
        var byteCount = elementSize
        for d in shape {
            let (product, overflow) = byteCount.multipliedReportingOverflow(by: d)
            if overflow { throw fail("tensor '\(key)' shape \(shapeText) is too large") }
            byteCount = product
        }
        guard end - begin == byteCount else {
            throw fail("tensor '\(key)' data_offsets [\(begin), \(end)] do not match shape \(shapeText) of \(dtype) (\(byteCount) bytes)")
        }
        return Entry(dtype: dtype, shape: shape, begin: begin, end: end)
    }

    /// The dtype name as written in the file (e.g. "F16") and the shape, or nil if absent.
    public func info(_ name: String) -> (dtype: String, shape: [Int])? {
        entries[name].map { ($0.dtype, $0.shape) }
    }

    /// Reads a tensor as Float, widening F16 and BF16. A 0-d tensor has shape [].
    public func tensor(_ name: String) throws -> Tensor {
        func fail(_ reason: String) -> SafetensorsError { SafetensorsError(file: file.name, reason: reason) }
        guard let entry = entries[name] else { throw fail("no tensor named '\(name)'") }
        guard Self.floatDtypes.contains(entry.dtype) else {
            throw fail("tensor '\(name)' has dtype \(entry.dtype); only F32, F16 and BF16 can be read as float")
        }
        let count = entry.shape.reduce(1, *)
        let range = (dataStart + entry.begin)..<(dataStart + entry.end)
        let data: [Float]? = file.withBytes(range) { raw in
            [Float](unsafeUninitializedCapacity: count) { out, initialized in
                switch entry.dtype {
                case "F32":
                    #if _endian(little)
                    if count > 0 { UnsafeMutableRawPointer(out.baseAddress!).copyMemory(from: raw.baseAddress!, byteCount: count * 4) }
                    #else
                    for i in 0..<count {
                        out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                    }
                    #endif
                case "F16":
                    for i in 0..<count {
                        out[i] = floatFromHalfBits(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                    }
                default:  // BF16
                    for i in 0..<count {
                        out[i] = floatFromBFloat16Bits(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                    }
                }
                initialized = count
            }
        }
        guard let data else { throw fail("tensor '\(name)' cannot be read: the file was closed") }
        return Tensor(shape: entry.shape, data: data)
    }

    /// Releases the memory mapping now rather than when the last copy is dropped.
    /// Later `tensor(_:)` calls throw; `names`, `info` and `metadata` keep working.
    public func close() {
        file.unmap()
    }
}

/// Writes safetensors files that `SafetensorsFile` (and the reference implementation) accept.
public enum SafetensorsWriter {
    public enum DType: String, Sendable {
        case f32 = "F32"
        case f16 = "F16"
    }

    /// Writes `tensors` in the given order, atomically (temporary file, then rename).
    /// F16 output rounds to nearest even and throws if a finite value would become infinite.
    public static func write(_ tensors: [(String, Tensor)], metadata: [String: String] = [:],
                             to url: URL, dtype: DType = .f32) throws {
        let fileName = url.lastPathComponent
        func fail(_ reason: String) -> SafetensorsError { SafetensorsError(file: fileName, reason: reason) }

        var seen = Set<String>()
        for (name, _) in tensors {
            if name == "__metadata__" { throw fail("'__metadata__' cannot be a tensor name") }
            guard seen.insert(name).inserted else { throw fail("duplicate tensor name '\(name)'") }
        }

        let elementSize = dtype == .f32 ? 4 : 2
        var header = "{"
        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { JSON.quoted($0) + ":" + JSON.quoted(metadata[$0]!) }
            fields.append("\"__metadata__\":{" + pairs.joined(separator: ",") + "}")
        }
        var offset = 0
        for (name, t) in tensors {
            let end = offset + t.count * elementSize
            let shape = t.shape.map(String.init).joined(separator: ",")
            fields.append(JSON.quoted(name) + ":{\"dtype\":\"\(dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        header += fields.joined(separator: ",") + "}"
        // Pad with spaces so the data area starts 8-byte aligned, as the reference writer does.
        var headerBytes = Array(header.utf8)
        headerBytes += [UInt8](repeating: 0x20, count: (8 - headerBytes.count % 8) % 8)

        var out = try AtomicFileWriter(url: url, makeError: { fail($0) })
        do {
            var length = UInt64(headerBytes.count).littleEndian
            try withUnsafeBytes(of: &length) { try out.write($0) }
            try out.write(headerBytes)
            for (name, t) in tensors {
                switch dtype {
                case .f32:
                    #if _endian(little)
                    try t.data.withUnsafeBytes { try out.write($0) }
                    #else
                    try t.data.map { $0.bitPattern.littleEndian }.withUnsafeBytes { try out.write($0) }
                    #endif
                case .f16:
                    var halves = [UInt16](repeating: 0, count: t.count)
                    for (i, v) in t.data.enumerated() {
                        let h = halfBits(from: v)
                        if h & 0x7fff == 0x7c00 && v.isFinite {
                            throw fail("tensor '\(name)' value \(v) at index \(i) is out of F16 range")
                        }
                        halves[i] = h.littleEndian
                    }
                    try halves.withUnsafeBytes { try out.write($0) }
                }
            }
            try out.commit()
        } catch {
            out.abandon()
            throw error
        }
    }
}
