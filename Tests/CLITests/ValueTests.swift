import ArgumentParser
import KinecolorFiles
import KinecolorMedia
@testable import kinecolor
import XCTest

/// The command line's value types: what each accepts, and the one-line reason it gives for what
/// it refuses, as argument-parser reports it.
final class ValueTests: XCTestCase {
    /// The reason `T(parsing:)` gives for `text`, or nil when it accepts it.
    func reason<T: ArgumentValue>(_ type: T.Type, _ text: String) -> String? {
        do {
            _ = try T(parsing: text)
            return nil
        } catch {
            return "\(error)"
        }
    }

    func testShard() throws {
        XCTAssertEqual(try Shard(parsing: "2/4"), Shard(index: 2, count: 4))
        XCTAssertEqual(try Shard(parsing: " 1 / 1 "), Shard(index: 1, count: 1))
        for bad in ["5/4", "0/4", "1/0", "2", "2/4/8", "a/b", "/4", "1/10001", ""] {
            XCTAssertEqual(reason(Shard.self, bad), "write i/n with 1 ≤ i ≤ n ≤ 10000, e.g. 2/4", bad)
        }
    }

    func testNetworkShortSide() throws {
        XCTAssertEqual(try NetworkShortSide(parsing: "64").value, 64)
        XCTAssertEqual(reason(NetworkShortSide.self, "24"),
                       "24 is not a multiple of 16 in 16…512 (the network's memory grows with the fourth power of its size)")
        XCTAssertNotNil(reason(NetworkShortSide.self, "4096"))
        XCTAssertNotNil(reason(NetworkShortSide.self, "-16"))
        XCTAssertEqual(reason(NetworkShortSide.self, "big"), "not a whole number")
    }

    func testFilmTime() throws {
        XCTAssertEqual(try FilmTime(parsing: "00:01:02.5").position, .seconds(62.5))
        XCTAssertEqual(try FilmTime(parsing: "62.5").text, "62.5")
        XCTAssertEqual(try FilmTime(parsing: "00:01:00;02").position,
                       .smpte(SMPTELabel(hours: 0, minutes: 1, seconds: 0, frames: 2, dropFrame: true)))
        XCTAssertEqual(try FilmTime(parsing: "00:00:02:05").position,
                       .smpte(SMPTELabel(hours: 0, minutes: 0, seconds: 2, frames: 5, dropFrame: false)))
        XCTAssertTrue(reason(FilmTime.self, "1:2x")?.hasPrefix(#"invalid time "1:2x""#) ?? false)
        XCTAssertTrue(reason(FilmTime.self, "00:00:02:5x")?.hasSuffix("or SMPTE HH:MM:SS:FF (drop-frame HH:MM:SS;FF)") ?? false)
        // The time form of --reference takes every position too; a plain integer is a frame.
        guard case .time(let t) = try ReferenceArgument(parsing: "00:00:02:05=p.png").position else { return XCTFail() }
        XCTAssertEqual(t.position, .smpte(SMPTELabel(hours: 0, minutes: 0, seconds: 2, frames: 5, dropFrame: false)))
        guard case .frame(120) = try ReferenceArgument(parsing: "120=p.png").position else { return XCTFail() }
    }

    func testShotNumbers() throws {
        XCTAssertEqual(try ShotNumbers(parsing: "3,7-9, 8").indices(count: 9), [2, 6, 7, 8])
        XCTAssertEqual(try ShotNumbers(parsing: "1").indices(count: 1), [0])
        for bad in ["0", "9-7", "7-", "-3", "x", "1,,y"] {
            XCTAssertTrue(reason(ShotNumbers.self, bad)?.contains("is not a shot number or range like 7-9") ?? false, bad)
        }
        XCTAssertEqual(reason(ShotNumbers.self, ","), "no shots given")
        XCTAssertThrowsError(try ShotNumbers(parsing: "2,9").indices(count: 5)) {
            XCTAssertEqual("\($0)", "--shots: shot 9 does not exist (the project has shots 1…5)")
        }
        // A huge range is refused before it is spelled out.
        XCTAssertThrowsError(try ShotNumbers(parsing: "1-9000000000000").indices(count: 5))
    }

    func testContactGrid() throws {
        let a = try ContactGrid.combined([ContactGrid(parsing: "classes=auto,portrait,street"), ContactGrid(parsing: "seeds=1,2,3")])
        XCTAssertEqual(a, ContactGrid(classes: ["auto", "portrait", "street"], seeds: [1, 2, 3]))
        XCTAssertEqual(try ContactGrid(parsing: "seeds=4,5"), ContactGrid(classes: nil, seeds: [4, 5]))
        XCTAssertEqual(try ContactGrid(parsing: "classes=a,b seeds=9"), ContactGrid(classes: ["a", "b"], seeds: [9]))
        XCTAssertNil(try ContactGrid.combined([]))
        XCTAssertEqual(reason(ContactGrid.self, "colors=red"), "unknown key 'colors' (use classes= and seeds=)")
        XCTAssertEqual(reason(ContactGrid.self, "seeds=x"), "seed 'x' is not a non-negative integer")
        XCTAssertEqual(reason(ContactGrid.self, "classes"), "'classes' is not classes=A,B,… or seeds=1,2,…")
        let nine = (1...9).map(String.init).joined(separator: ",")
        XCTAssertThrowsError(try ContactGrid.combined([ContactGrid(parsing: "classes=\(nine)"), ContactGrid(parsing: "seeds=\(nine)")])) {
            XCTAssertEqual("\($0)", "--grid: 81 candidates; at most 64")
        }
    }

    func testNetworkInputSizes() throws {
        XCTAssertEqual(try NetworkInputSizes(parsing: "256x256,32X48").sizes.map { [$0.height, $0.width] }, [[256, 256], [32, 48]])
        XCTAssertEqual(reason(NetworkInputSizes.self, "256"), "'256' is not a size; write HxW, e.g. 256x448")
        XCTAssertTrue(reason(NetworkInputSizes.self, "4096x4096")?.contains("larger than the network allows") ?? false)
    }

    /// Through argument-parser: a refused value is a usage error that quotes the value, names the
    /// option and ends with the reason; `--codec` lists its values.
    func testRefusalsReachTheUsageError() {
        let cases: [([String], String)] = [
            (["p.kcproj.json", "--work", "w", "--shard", "5/4"], "The value '5/4' is invalid for '--shard <i/n>': write i/n"),
            (["p.kcproj.json", "-o", "x.mkv", "--shots", "3,x"], "'--shots <list>': 'x' is not a shot number"),
            (["p.kcproj.json", "-o", "x.mkv", "--codec", "bogus"], "Please provide one of 'h264', 'ffv1', 'prores', 'dnxhr' or 'prores4444'."),
            (["p.kcproj.json", "-o", "x.mkv", "--preset", "fastest"], "The value 'fastest' is invalid for '--preset <preset>'"),
        ]
        for (arguments, message) in cases {
            XCTAssertThrowsError(try Render.parse(arguments)) { error in
                XCTAssertTrue(Render.message(for: error).contains(message), Render.message(for: error))
                XCTAssertEqual(Render.exitCode(for: error), .validationFailure)
            }
        }
        XCTAssertThrowsError(try Colorize.parse(["film.mkv", "-o", "x.mkv", "--size", "24"])) {
            XCTAssertTrue(Colorize.message(for: $0).contains("'--size <n>': 24 is not a multiple of 16"), Colorize.message(for: $0))
        }
        XCTAssertThrowsError(try Preview.parse(["film.mkv", "--at", "1", "-o", "x.png", "--grid", "classes=a", "seeds=x"])) {
            XCTAssertTrue(Preview.message(for: $0).contains("seed 'x' is not a non-negative integer"), Preview.message(for: $0))
        }
    }

    func testParsedValuesReachTheCommand() throws {
        let render = try Render.parse(["p.kcproj.json", "--work", "w", "--shard", "2/4", "--codec", "prores", "-y", "-q",
                                       "--preset", "veryslow"])
        XCTAssertEqual(render.shard, Shard(index: 2, count: 4))
        XCTAssertEqual(render.encoding.options.codec, .prores)
        XCTAssertEqual(render.encoding.options.preset, "veryslow")
        XCTAssertTrue(render.replace.overwrite)
        XCTAssertTrue(render.display.quiet)
        let preview = try Preview.parse(["-i", "film.mkv", "--at", "1:02.5", "-o", "x.png", "--grid", "classes=a,b", "seeds=1"])
        XCTAssertEqual(preview.input.path, "film.mkv")
        XCTAssertEqual(preview.at?.position, .seconds(62.5))
        XCTAssertEqual(try ContactGrid.combined(preview.grid), ContactGrid(classes: ["a", "b"], seeds: [1]))
    }

    /// The input option group: positional or `-i`, exactly once.
    func testTheInputIsGivenOnce() throws {
        XCTAssertEqual(try Colorize.parse(["film.mkv", "-o", "x.mkv"]).input.path, "film.mkv")
        XCTAssertEqual(try Colorize.parse(["-i", "film.mkv", "-o", "x.mkv"]).input.path, "film.mkv")
        XCTAssertThrowsError(try Colorize.parse(["-o", "x.mkv"])) {
            XCTAssertEqual(Colorize.message(for: $0), "give an input film (positional or -i)")
        }
        XCTAssertThrowsError(try Colorize.parse(["a.mkv", "-i", "b.mkv", "-o", "x.mkv"])) {
            XCTAssertEqual(Colorize.message(for: $0), "give the input once (positional or -i)")
        }
        XCTAssertThrowsError(try Image.parse(["-o", "x.png"])) {
            XCTAssertEqual(Image.message(for: $0), "give an input picture (positional or -i)")
        }
    }
}
