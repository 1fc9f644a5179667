import Foundation
@testable import KinecolorPipeline
import XCTest

/// A second analysis of the same film with the same settings is read from the cache, equal to the
/// first; other settings, a changed film or a damaged entry are analysed again.
final class AnalysisCacheTests: XCTestCase {
    func testASecondAnalysisOfTheSameFilmComesFromTheCache() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kinecolor-cache-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let film = dir.appendingPathComponent("film.mp4")
        try FileManager.default.copyItem(at: LocalAnalysisTests.sample, to: film)
        let cache = AnalysisCache(directory: dir.appendingPathComponent("cache"))
        let network = FakeNetwork(head: { m in [m, 1 - m, m * m, 0.5] })
        func analyze(keyframes: Int? = 64) throws -> FilmAnalysis {
            try FilmAnalysis.analyze(film, classEstimator: network, keyframesAtSize: keyframes, cache: cache)
        }
        let first = try analyze()
        let entries = try FileManager.default.contentsOfDirectory(atPath: cache.directory.path)
        XCTAssertEqual(entries.count, 1)
        let second = try analyze()
        XCTAssertEqual(second.frameCount, first.frameCount)
        XCTAssertEqual(second.shots, first.shots)
        XCTAssertEqual(second.frameTimes, first.frameTimes)
        XCTAssertEqual(second.classProbabilities, first.classProbabilities)
        XCTAssertEqual(second.keyframes, first.keyframes)
        XCTAssertEqual(second.setups, first.setups)

        // Read, not analysed again: an entry edited by hand is what comes back.
        let entry = cache.directory.appendingPathComponent(entries[0])
        var json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: entry)) as? [String: Any])
        json["starts"] = [0, 50, 88]
        try JSONSerialization.data(withJSONObject: json).write(to: entry)
        XCTAssertEqual(try analyze().shots.map(\.start), [0, 50, 88])
        // Other settings are another entry; a film changed since (here only touched) is analysed again.
        XCTAssertEqual(try analyze(keyframes: nil).shots.map(\.start), [0, 44, 88])
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: 60)], ofItemAtPath: film.path)
        XCTAssertEqual(try analyze().shots.map(\.start), [0, 44, 88])
        // A damaged entry is ignored and written anew.
        for name in try FileManager.default.contentsOfDirectory(atPath: cache.directory.path) {
            try Data("{\"frameCount\": 3".utf8).write(to: cache.directory.appendingPathComponent(name))
        }
        XCTAssertEqual(try analyze().shots.map(\.start), [0, 44, 88])
        XCTAssertEqual(try analyze().frameTimes, first.frameTimes)
    }
}
