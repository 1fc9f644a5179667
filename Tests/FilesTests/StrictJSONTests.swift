@testable import KinecolorFiles
import XCTest

/// The one decoder for JSON that people edit (project files) or other programs write (model
/// metadata): its errors name the field as the file spells it.
final class StrictJSONTests: XCTestCase {
    struct Shot: Decodable { var startFrame: Int }
    struct Doc: Decodable { var shots: [Shot] }

    private func problem(_ text: String) -> JSONProblem? {
        do {
            _ = try StrictJSON.decode(Doc.self, from: Array(text.utf8), snakeCaseKeys: true)
            return nil
        } catch {
            return error as? JSONProblem
        }
    }

    func testFieldErrorsUseTheFilesSpelling() {
        XCTAssertEqual(problem(#"{"shots": [{"start_frame": 1}, {}]}"#)?.description,
                       "missing field 'shots[1].start_frame'")
        XCTAssertEqual(problem(#"{"shots": [{"start_frame": "x"}]}"#)?.description,
                       "field 'shots[0].start_frame' should be Int")
        XCTAssertEqual(problem(#"{"shots": [{"start_frame": null}]}"#)?.description,
                       "field 'shots[0].start_frame' is null, should be Int")
        XCTAssertEqual(problem(#"{"shots": [{"start_frame": 1}]}"#)?.description, nil)
    }

    func testBrokenJSONAndDuplicateKeysAreSyntaxProblems() throws {
        let duplicate = try XCTUnwrap(problem(#"{"shots": [], "shots": []}"#))
        XCTAssertTrue(duplicate.isSyntax)
        XCTAssertTrue(duplicate.description.contains("at byte"), duplicate.description)
        let broken = try XCTUnwrap(problem(#"{"shots": [}"#))
        XCTAssertTrue(broken.isSyntax)
        XCTAssertTrue(broken.description.hasSuffix("at byte 11"), broken.description)
    }
}
