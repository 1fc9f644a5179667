import ArgumentParser
import Foundation
@testable import kinecolor
import XCTest

/// Every command's `--help` reads in an 80-column terminal.
final class HelpTests: XCTestCase {
    /// Every command path under `kinecolor`: [], ["colorize"], …, ["model", "bench"].
    static func commandPaths(_ command: ParsableCommand.Type = Kinecolor.self, prefix: [String] = []) -> [[String]] {
        [prefix] + command.configuration.subcommands.flatMap { sub in
            commandPaths(sub, prefix: prefix + [sub._commandName])
        }
    }

    func testEveryHelpFitsEightyColumns() throws {
        let paths = Self.commandPaths()
        XCTAssertGreaterThanOrEqual(paths.count, 13, "\(paths)")
        for path in paths {
            let r = try CLI.run(path + ["--help"], environment: ["COLUMNS": "80"])
            XCTAssertEqual(r.status, 0, "\(path): \(r.stderr)")
            XCTAssertTrue(r.stdout.contains("USAGE: kinecolor"), "\(path): \(r.stdout)")
            for line in r.stdout.split(separator: "\n") where line.count > 80 {
                XCTFail("kinecolor \(path.joined(separator: " ")) --help: \(line.count) columns: \(line)")
            }
        }
    }
}
