import Foundation

/// A minimal strict JSON reader for safetensors headers, model metadata and project files.
///
/// Foundation's JSONSerialization cannot tell `3` from `3.0`, silently keeps one of two
/// duplicate keys and reports errors without byte offsets; validating a weight file needs
/// all three, so the header is parsed here. Numbers stay as their source text so that
/// integers of any size are checked exactly.
package enum JSON: Equatable {
    case object([(key: String, value: JSON)])
    case array([JSON])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    package static func == (lhs: JSON, rhs: JSON) -> Bool {
        switch (lhs, rhs) {
        case let (.object(a), .object(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case let (.array(a), .array(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.bool(a), .bool(b)): return a == b
        case (.null, .null): return true
        default: return false
        }
    }

    /// Words for error messages: "a number", "an array", ...
    package var kindName: String {
        switch self {
        case .object: return "an object"
        case .array: return "an array"
        case .string: return "a string"
        case .number: return "a number"
        case .bool: return "a boolean"
        case .null: return "null"
        }
    }

    /// The value as a non-negative Int, or nil when it is not written as one
    /// (fractions, exponents, negatives and values past Int.max are all nil).
    package var nonNegativeInt: Int? {
        guard case let .number(text) = self, !text.hasPrefix("-"), let value = Int(text) else { return nil }
        return value
    }

    /// Compact JSON text, for quoting a bad value in an error message.
    package var compactText: String {
        switch self {
        case let .object(members):
            return "{" + members.map { JSON.quoted($0.key) + ": " + $0.value.compactText }.joined(separator: ", ") + "}"
        case let .array(items): return "[" + items.map(\.compactText).joined(separator: ", ") + "]"
        case let .string(s): return JSON.quoted(s)
        case let .number(text): return text
        case let .bool(b): return b ? "true" : "false"
        case .null: return "null"
        }
    }

    /// `s` as a JSON string literal.
    package static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

package struct JSONSyntaxError: Error {
    package let message: String
    /// Offset of the problem inside the parsed bytes.
    package let offset: Int

    package init(message: String, offset: Int) {
        self.message = message
        self.offset = offset
    }
}

package struct JSONParser {
    private let bytes: [UInt8]
    private var pos = 0
    private var depth = 0
    // Deep enough for any real header, shallow enough that recursion cannot overflow the stack.
    private let maxDepth = 64

    /// Parses one JSON value; only whitespace may follow it (safetensors pads headers with spaces).
    package static func parse(_ bytes: [UInt8]) throws -> JSON {
        var parser = JSONParser(bytes: bytes)
        let value = try parser.parseValue()
        parser.skipWhitespace()
        if parser.pos < bytes.count { throw parser.error("unexpected data after the JSON value") }
        return value
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private func error(_ message: String, at offset: Int? = nil) -> JSONSyntaxError {
        JSONSyntaxError(message: message, offset: offset ?? pos)
    }

    private func describeCurrent() -> String {
        guard pos < bytes.count else { return "end of header" }
        let b = bytes[pos]
        return (0x21..<0x7f).contains(b) ? "'\(Character(Unicode.Scalar(b)))'" : "byte 0x\(String(b, radix: 16))"
    }

    private mutating func skipWhitespace() {
        while pos < bytes.count, [0x20, 0x09, 0x0a, 0x0d].contains(bytes[pos]) { pos += 1 }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws {
        skipWhitespace()
        guard pos < bytes.count, bytes[pos] == byte else { throw error("expected \(what), found \(describeCurrent())") }
        pos += 1
    }

    private mutating func parseValue() throws -> JSON {
        skipWhitespace()
        guard pos < bytes.count else { throw error("unexpected end of header") }
        switch bytes[pos] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw error("unexpected \(describeCurrent())")
        }
    }

    private mutating func literal(_ word: String) throws {
        let w = Array(word.utf8)
        guard pos + w.count <= bytes.count, Array(bytes[pos..<pos + w.count]) == w else {
            throw error("unexpected \(describeCurrent())")
        }
        pos += w.count
    }

    private mutating func nest() throws {
        depth += 1
        if depth > maxDepth { throw error("nesting deeper than \(maxDepth) levels") }
    }

    private mutating func parseObject() throws -> JSON {
        try nest()
        defer { depth -= 1 }
        pos += 1
        var members: [(key: String, value: JSON)] = []
        var seen = Set<String>()
        skipWhitespace()
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") {
            pos += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            let keyOffset = pos
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else {
                throw error("expected a string key, found \(describeCurrent())")
            }
            let key = try parseString()
            guard seen.insert(key).inserted else { throw error("duplicate key \(JSON.quoted(key))", at: keyOffset) }
            try expect(UInt8(ascii: ":"), "':'")
            members.append((key, try parseValue()))
            skipWhitespace()
            guard pos < bytes.count else { throw error("unexpected end of header") }
            if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
            if bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(members) }
            throw error("expected ',' or '}', found \(describeCurrent())")
        }
    }

    private mutating func parseArray() throws -> JSON {
        try nest()
        defer { depth -= 1 }
        pos += 1
        var items: [JSON] = []
        skipWhitespace()
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") {
            pos += 1
            return .array(items)
        }
        while true {
            items.append(try parseValue())
            skipWhitespace()
            guard pos < bytes.count else { throw error("unexpected end of header") }
            if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
            if bytes[pos] == UInt8(ascii: "]") { pos += 1; return .array(items) }
            throw error("expected ',' or ']', found \(describeCurrent())")
        }
    }

    private mutating func parseNumber() throws -> String {
        let start = pos
        func digits() -> Int {
            let s = pos
            while pos < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[pos]) { pos += 1 }
            return pos - s
        }
        if bytes[pos] == UInt8(ascii: "-") { pos += 1 }
        let intStart = pos
        let intDigits = digits()
        if intDigits == 0 { throw error("malformed number") }
        if intDigits > 1, bytes[intStart] == UInt8(ascii: "0") { throw error("number with a leading zero", at: intStart) }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: ".") {
            pos += 1
            if digits() == 0 { throw error("malformed number") }
        }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "e") || bytes[pos] == UInt8(ascii: "E") {
            pos += 1
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-") { pos += 1 }
            if digits() == 0 { throw error("malformed number") }
        }
        return String(decoding: bytes[start..<pos], as: UTF8.self)
    }

    private mutating func parseString() throws -> String {
        let open = pos
        pos += 1
        var out: [UInt8] = []
        while true {
            guard pos < bytes.count else { throw error("unterminated string", at: open) }
            let b = bytes[pos]
            if b == UInt8(ascii: "\"") { pos += 1; break }
            if b < 0x20 { throw error("control character in a string") }
            if b != UInt8(ascii: "\\") {
                out.append(b)
                pos += 1
                continue
            }
            pos += 1
            guard pos < bytes.count else { throw error("unterminated string", at: open) }
            let escape = bytes[pos]
            pos += 1
            switch escape {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5c)
            case UInt8(ascii: "/"): out.append(0x2f)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0c)
            case UInt8(ascii: "n"): out.append(0x0a)
            case UInt8(ascii: "r"): out.append(0x0d)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xd800..<0xdc00).contains(scalar) {
                    // A high surrogate must be followed by an escaped low surrogate.
                    guard pos + 1 < bytes.count, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u") else {
                        throw error("unpaired surrogate in a string")
                    }
                    pos += 2
                    let low = try hex4()
                    guard (0xdc00..<0xe000).contains(low) else { throw error("unpaired surrogate in a string") }
                    scalar = 0x10000 + ((scalar - 0xd800) << 10) + (low - 0xdc00)
                } else if (0xdc00..<0xe000).contains(scalar) {
                    throw error("unpaired surrogate in a string")
                }
                out.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar)!)).utf8))
            default:
                throw error("invalid escape '\\\(Character(Unicode.Scalar(escape)))'", at: pos - 2)
            }
        }
        guard firstInvalidUTF8Offset(out) == nil else { throw error("string is not valid UTF-8", at: open) }
        return String(decoding: out, as: UTF8.self)
    }

    private mutating func hex4() throws -> UInt32 {
        guard pos + 4 <= bytes.count else { throw error("malformed \\u escape") }
        var v: UInt32 = 0
        for b in bytes[pos..<pos + 4] {
            guard let digit = Character(Unicode.Scalar(b)).hexDigitValue else { throw error("malformed \\u escape") }
            v = v << 4 | UInt32(digit)
        }
        pos += 4
        return v
    }
}

/// Decoding of JSON documents that people and other programs write (model metadata, project
/// files): the strict parser first, then Foundation's decoder. Every failure is a `JSONProblem`
/// whose description is one line naming the field as the file spells it.
package enum StrictJSON {
    package static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], snakeCaseKeys: Bool = false) throws -> T {
        do { _ = try JSONParser.parse(bytes) } catch let e as JSONSyntaxError {
            throw JSONProblem(isSyntax: true, description: "\(e.message) at byte \(e.offset)")
        }
        let decoder = JSONDecoder()
        if snakeCaseKeys { decoder.keyDecodingStrategy = .convertFromSnakeCase }
        do { return try decoder.decode(type, from: Data(bytes)) } catch let e as DecodingError {
            throw JSONProblem(isSyntax: false, description: describe(e))
        }
    }

    /// "missing field 'shots[2].start_frame'", "field 'size' should be Int", …
    static func describe(_ e: DecodingError) -> String {
        // Field names as the file spells them (snake_case), not as Swift does.
        func snake(_ key: String) -> String {
            key.reduce(into: "") { out, ch in
                if ch.isUppercase { out += "_" + ch.lowercased() } else { out.append(ch) }
            }
        }
        func path(_ c: DecodingError.Context) -> String {
            c.codingPath.map { $0.intValue.map { "[\($0)]" } ?? "." + snake($0.stringValue) }
                .joined().trimmingCharacters(in: ["."])
        }
        switch e {
        case .keyNotFound(let key, let c):
            let p = path(c)
            return "missing field '\(p.isEmpty ? "" : p + ".")\(snake(key.stringValue))'"
        case .typeMismatch(let t, let c): return "field '\(path(c))' should be \(t)"
        case .valueNotFound(let t, let c): return "field '\(path(c))' is null, should be \(t)"
        case .dataCorrupted(let c):
            return c.codingPath.isEmpty ? "not valid JSON" : "field '\(path(c))': \(c.debugDescription)"
        @unknown default: return "\(e)"
        }
    }
}

/// Why a JSON document could not be read: broken JSON (`isSyntax`) or the wrong fields.
package struct JSONProblem: Error, CustomStringConvertible {
    package let isSyntax: Bool
    package let description: String
}

/// Offset of the first byte that breaks UTF-8 decoding, or nil if all of `bytes` is valid.
package func firstInvalidUTF8Offset(_ bytes: [UInt8]) -> Int? {
    var iterator = bytes.makeIterator()
    var decoder = UTF8()
    var offset = 0
    while true {
        switch decoder.decode(&iterator) {
        case let .scalarValue(scalar): offset += UTF8.width(scalar)
        case .emptyInput: return nil
        case .error: return offset
        }
    }
}
