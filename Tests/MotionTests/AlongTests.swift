import Foundation
@testable import KinecolorMotion
import Testing

/// `Correspondence.along` is the identity extended by one flow, without the resampling.
@Test func alongEqualsIdentityExtended() {
    let w = 13, h = 9
    let flow = FlowField(width: w, height: h, dx: (0..<(w * h)).map { Float($0 % 7) * 0.37 - 1.1 },
                         dy: (0..<(w * h)).map { Float($0 % 5) * -0.61 + 0.9 })
    let trust = (0..<(w * h)).map { Float($0 % 11) / 10 }
    let slow = Correspondence.identity(width: w, height: h).extended(by: flow, confidence: trust)
    #expect(Correspondence.along(flow, confidence: trust) == slow)
    #expect(slow.confidence.contains(0), "some vectors leave the picture")
}
