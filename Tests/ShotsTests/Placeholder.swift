import XCTest
final class ShotsTestsPlaceholder: XCTestCase { func testNothing() {} }
