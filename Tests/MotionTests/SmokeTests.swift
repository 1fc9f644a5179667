import Foundation
import Testing
@testable import KinecolorMotion

@Test func shiftIsFound() throws {
    let w = 64, h = 48
    func plane(_ shift: Int) -> LumaPlane {
        LumaPlane(width: w, height: h, values: (0..<(w*h)).map { i in
            let x = Float(i % w - shift), y = Float(i / w)
            return 0.5 + 0.25 * sin(x * 0.3) * cos(y * 0.25)
        })
    }
    let m = try PairMotion.estimate(from: plane(0), to: plane(2))
    let mid = (h / 2) * w + w / 2
    #expect(abs(m.forward.dx[mid] - 2) < 0.3)
}
