import Foundation
import XCTest

/// The house rules of Docs/architecture.md that a reader cannot check at a glance: sizes of files
/// and functions, the language mode, and where unchecked concurrency and C pointers may appear.
final class HouseRulesTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// Every Swift file under Sources/, with its path relative to the repository.
    func sources() throws -> [(path: String, lines: [Substring])] {
        let base = Self.root.appendingPathComponent("Sources")
        let walker = try XCTUnwrap(FileManager.default.enumerator(atPath: base.path))
        var files: [(String, [Substring])] = []
        for case let relative as String in walker where relative.hasSuffix(".swift") {
            let text = try String(contentsOf: base.appendingPathComponent(relative), encoding: .utf8)
            files.append(("Sources/" + relative, text.split(separator: "\n", omittingEmptySubsequences: false)))
        }
        XCTAssertGreaterThan(files.count, 40, "the walk found too few sources")
        return files.sorted { $0.0 < $1.0 }
    }

    func testNoFileOver400Lines() throws {
        for file in try sources() {
            let count = file.lines.last?.isEmpty == true ? file.lines.count - 1 : file.lines.count
            XCTAssertLessThanOrEqual(count, 400, file.path)
        }
    }

    func testNoFunctionOver80Lines() throws {
        for file in try sources() {
            for (name, start, length) in FunctionSpans.find(in: file.lines) where length > 80 {
                XCTFail("\(file.path):\(start + 1): \(name) is \(length) lines")
            }
        }
    }

    func testFunctionSpansCountBodies() {
        let text = """
        struct S {
            func a() {
                let s = "}"  // a brace in a string or comment: }
                if true { print(s) }
            }
            init(x: Int) { }
        }
        """
        let spans = FunctionSpans.find(in: text.split(separator: "\n", omittingEmptySubsequences: false))
        XCTAssertEqual(spans.map(\.name), ["func a", "init"])
        XCTAssertEqual(spans.map(\.length), [4, 1])
    }

    func testSwift6AndNoUncheckedOptimization() throws {
        let manifest = try String(contentsOf: Self.root.appendingPathComponent("Package.swift"), encoding: .utf8)
        XCTAssertFalse(manifest.contains("Ounchecked"))
        XCTAssertFalse(manifest.contains(".v5"))
        XCTAssertTrue(manifest.contains("swiftLanguageModes: [.v6]"))
    }

    /// C pointers stay inside the shims and the kernels: no public declaration elsewhere takes or
    /// returns one.
    func testNoPointersInPublicAPIOutsideTheKernels() throws {
        for file in try sources() where !file.path.hasPrefix("Sources/Engine/") {
            for (i, line) in file.lines.enumerated() where line.contains("public ") {
                let code = FunctionSpans.code(String(line))
                XCTAssertFalse(code.contains("Unsafe") || code.contains("OpaquePointer"), "\(file.path):\(i + 1)")
            }
        }
    }

    /// `nonisolated(unsafe)` and `@unchecked Sendable` only where a comment within the three
    /// lines above (or on the line) says why they are safe.
    func testUncheckedConcurrencyIsExplained() throws {
        for file in try sources() {
            for (i, line) in file.lines.enumerated()
            where line.contains("nonisolated(unsafe)") || line.contains("@unchecked Sendable") {
                let context = file.lines[max(0, i - 3)...min(file.lines.count - 1, i + 3)]
                XCTAssertTrue(context.contains { $0.contains("//") }, "\(file.path):\(i + 1) has no comment saying why")
            }
        }
    }
}

/// Finds `func`, `init` and `subscript` bodies by counting braces outside strings and comments.
enum FunctionSpans {
    static func find(in lines: [Substring]) -> [(name: String, start: Int, length: Int)] {
        var spans: [(String, Int, Int)] = []
        for (i, line) in lines.enumerated() {
            guard let name = declaration(String(line)) else { continue }
            var depth = 0, opened = false, j = i
            scan: while j < lines.count {
                for ch in code(String(lines[j])) {
                    if ch == "{" { depth += 1; opened = true }
                    if ch == "}" { depth -= 1 }
                    if opened && depth == 0 { break scan }
                }
                // A protocol requirement or a declaration without a body.
                if !opened && j > i + 8 { break }
                j += 1
            }
            if opened { spans.append((name, i, j - i + 1)) }
        }
        return spans
    }

    /// "func name" or "init"/"subscript" when the line declares one.
    static func declaration(_ line: String) -> String? {
        var words = line.split(whereSeparator: { $0 == " " || $0 == "(" || $0 == "<" }).map(String.init)
        let modifiers: Set<String> = ["public", "private", "fileprivate", "internal", "package", "static", "final",
                                      "override", "mutating", "nonmutating", "convenience", "required", "class",
                                      "nonisolated", "@inline", "@discardableResult", "@inlinable", "@usableFromInline"]
        while let first = words.first, modifiers.contains(first) || first.hasPrefix("@") { words.removeFirst() }
        guard let keyword = words.first else { return nil }
        if keyword == "func", words.count > 1 { return "func " + words[1] }
        if keyword == "init" || keyword == "init?" || keyword == "subscript" { return keyword.replacingOccurrences(of: "?", with: "") }
        return nil
    }

    /// The line without string literals and `//` comments.
    static func code(_ line: String) -> String {
        var out = "", inString = false, escaped = false, previous: Character = " "
        for ch in line {
            if inString {
                if escaped { escaped = false } else if ch == "\\" { escaped = true } else if ch == "\"" { inString = false }
            } else if ch == "\"" {
                inString = true
            } else if ch == "/" && previous == "/" {
                out.removeLast()
                break
            } else {
                out.append(ch)
            }
            previous = ch
        }
        return out
    }
}
