import Foundation
@testable import KinecolorMotion
import Testing

/// Where `--keyframes auto` puts keyframes inside one shot.
struct KeyframePlannerTests {
    let width = 80, height = 48

    /// A still textured picture; from `patchFrom` on, a bright square covering ~10% of it.
    func plane(_ t: Int, patchFrom: Int?) -> LumaPlane {
        LumaPlane(width: width, height: height, values: (0..<(width * height)).map { p in
            let x = p % width, y = p / width
            if let from = patchFrom, t >= from, (20..<45).contains(x), (10..<26).contains(y) { return 0.95 }
            return 0.4 + 0.2 * sin(Float(x) * 0.35) * cos(Float(y) * 0.3) + 0.1 * sin(Float(x + 2 * y) * 0.1)
        })
    }

    func keyframes(count: Int, patchFrom: Int? = nil) throws -> [Int] {
        var planner = KeyframePlanner()
        var out: [Int] = []
        for t in 0..<count {
            let motion = t == 0 ? nil : try PairMotion.estimate(from: plane(t - 1, patchFrom: patchFrom),
                                                                to: plane(t, patchFrom: patchFrom))
            if planner.place(motion: motion) { out.append(t) }
        }
        return out
    }

    @Test func aStillShotGetsAKeyframeEveryLongestGap() throws {
        #expect(try keyframes(count: 50) == [0, 24, 48])
    }

    @Test func somethingEnteringThePictureGetsAKeyframe() throws {
        let keys = try keyframes(count: 30, patchFrom: 9)
        #expect(keys == [0, 9], "got \(keys)")
        #expect(keys.contains(9))
    }

    @Test func placementIsDeterministic() throws {
        #expect(try keyframes(count: 30, patchFrom: 9) == keyframes(count: 30, patchFrom: 9))
    }

    @Test func policiesParseAndPlaceFixedKeyframes() {
        #expect(KeyframePolicy("auto") == .auto)
        #expect(KeyframePolicy("ALL") == .all)
        #expect(KeyframePolicy("1") == .all)
        #expect(KeyframePolicy("8") == .every(8))
        for bad in ["0", "-2", "49", "some", "", "8.5"] { #expect(KeyframePolicy(bad) == nil, "\(bad)") }
        #expect(KeyframePolicy.every(8).fixed(10..<30) == [10, 18, 26])
        #expect(KeyframePolicy.all.fixed(3..<6) == [3, 4, 5])
        #expect(KeyframePolicy.auto.fixed(3..<6) == nil)
    }
}
