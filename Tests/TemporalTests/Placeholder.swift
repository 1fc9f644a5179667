import XCTest
final class TemporalTestsPlaceholder: XCTestCase { func testNothing() {} }
