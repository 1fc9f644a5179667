import XCTest
final class ModelTestsPlaceholder: XCTestCase { func testNothing() {} }
