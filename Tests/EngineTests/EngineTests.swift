@testable import KinecolorEngine
import Foundation
import XCTest

final class BLASRuntimeTests: XCTestCase {
    let avx512: Set<String> = ["avx2", "fma", "avx512f", "avx512vl", "avx512bw", "avx512dq"]

    func testPicksTheBestKernelSetForTheCPU() {
        XCTAssertEqual(BLASRuntime.bestCoreType(cpuFlags: avx512), "SkylakeX")
        XCTAssertEqual(BLASRuntime.bestCoreType(cpuFlags: avx512.union(["avx512_bf16"])), "Cooperlake")
        XCTAssertEqual(BLASRuntime.bestCoreType(cpuFlags: ["avx2", "fma", "sse3"]), "Haswell")
        XCTAssertNil(BLASRuntime.bestCoreType(cpuFlags: ["sse2", "sse3"]))
    }

    func testUpgradesMissingOrWeakerSettingsAndKeepsForcedOnes() {
        XCTAssertEqual(BLASRuntime.coreTypeToRequest(environment: [:], cpuFlags: avx512), "SkylakeX")
        XCTAssertEqual(BLASRuntime.coreTypeToRequest(environment: ["OPENBLAS_CORETYPE": "Haswell"], cpuFlags: avx512), "SkylakeX")
        XCTAssertEqual(BLASRuntime.coreTypeToRequest(environment: ["OPENBLAS_CORETYPE": "Prescott"], cpuFlags: avx512), "SkylakeX")
        XCTAssertNil(BLASRuntime.coreTypeToRequest(environment: ["OPENBLAS_CORETYPE": "SkylakeX"], cpuFlags: avx512))
        XCTAssertNil(BLASRuntime.coreTypeToRequest(environment: ["OPENBLAS_CORETYPE": "Haswell"], cpuFlags: ["avx2", "fma"]))
        // A CPU without AVX2 is left to OpenBLAS's own choice: never ask for kernels it cannot run.
        XCTAssertNil(BLASRuntime.coreTypeToRequest(environment: [:], cpuFlags: ["sse3"]))
        XCTAssertEqual(BLASRuntime.coreTypeToRequest(environment: ["KINECOLOR_BLAS_CORETYPE": "Haswell"], cpuFlags: avx512), "Haswell")
        XCTAssertNil(BLASRuntime.coreTypeToRequest(environment: ["KINECOLOR_BLAS_CORETYPE": "Haswell", "OPENBLAS_CORETYPE": "Haswell"], cpuFlags: avx512))
    }
}

final class KernelTests: XCTestCase {
    /// Plain 3×3 convolution with zero padding, the definition.
    func reference(_ x: [Float], c: Int, h: Int, w: Int, weight: [Float], cout: Int) -> [Float] {
        var out = [Float](repeating: 0, count: cout * h * w)
        for o in 0..<cout { for y in 0..<h { for xx in 0..<w {
            var acc: Float = 0
            for i in 0..<c { for ky in 0..<3 { for kx in 0..<3 {
                let yy = y + ky - 1, xi = xx + kx - 1
                if yy >= 0 && yy < h && xi >= 0 && xi < w { acc += weight[((o * c + i) * 3 + ky) * 3 + kx] * x[(i * h + yy) * w + xi] }
            } } }
            out[(o * h + y) * w + xx] = acc
        } } }
        return out
    }

    func randoms(_ n: Int, _ seed: UInt64) -> [Float] {
        var r = PortableRandom(seed: seed)
        return (0..<n).map { _ in Float(r.uniform() * 2 - 1) }
    }

    func testShiftedGEMMConvolutionMatchesTheDefinition() {
        let c = 3, h = 7, w = 5, cout = 4
        let x = randoms(c * h * w, 1), wt = randoms(cout * c * 9, 2)
        let conv = Conv3x3(weight: Tensor(shape: [cout, c, 3, 3], data: wt), bias: nil)
        let input = FeatureMap(Tensor(shape: [c, h, w], data: x), padding: 1)
        let out = FeatureMap(channels: cout, height: h, width: w)
        conv(input, into: out, .plain)
        let expected = reference(x, c: c, h: h, w: w, weight: wt, cout: cout)
        for (a, b) in zip(out.tensor.data, expected) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    }

    func testPhaseDecomposedUpsampleConvolutionMatchesUpsampleThenConvolve() {
        let c = 2, h = 3, w = 4, cout = 3
        let x = randoms(c * h * w, 3), wt = randoms(cout * c * 9, 4)
        var up = [Float](repeating: 0, count: c * 4 * h * w)
        for i in 0..<c { for y in 0..<(2 * h) { for xx in 0..<(2 * w) { up[(i * 2 * h + y) * 2 * w + xx] = x[(i * h + y / 2) * w + xx / 2] } } }
        let expected = reference(up, c: c, h: 2 * h, w: 2 * w, weight: wt, cout: cout)
        let conv = Conv3x3(weight: Tensor(shape: [cout, c, 3, 3], data: wt), bias: nil, upsampling: true)
        let out = FeatureMap(channels: cout, height: 2 * h, width: 2 * w)
        conv.upsampleThenConv(FeatureMap(Tensor(shape: [c, h, w], data: x), padding: 1), into: out, .plain)
        for (a, b) in zip(out.tensor.data, expected) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    }

    func testEpilogueFoldsBiasNormReLUAndAccumulates() {
        let wt: [Float] = [Float](repeating: 0, count: 9 * 2)   // zero weights: output is the epilogue alone
        let conv = Conv3x3(weight: Tensor(shape: [2, 1, 3, 3], data: wt), bias: Tensor(shape: [2], data: [1, -1]))
        let input = FeatureMap(Tensor(shape: [1, 2, 2], data: [1, 2, 3, 4]), padding: 1)
        let out = FeatureMap(Tensor(shape: [2, 2, 2], data: [10, 10, 10, 10, 20, 20, 20, 20]))
        conv(input, into: out, Epilogue(scale: [2, 3], shift: [0.5, 0.5], relu: true, accumulate: true))
        // channel 0: 10 + max((0+1)·2+0.5, 0) = 12.5; channel 1: 20 + max((0−1)·3+0.5, 0) = 20
        XCTAssertEqual(out.tensor.data, [12.5, 12.5, 12.5, 12.5, 20, 20, 20, 20])
    }

    func testPortableRandomIsStable() {
        var r = PortableRandom(seed: 42)
        XCTAssertEqual(r.next(), 13679457532755275413)
        var a = PortableRandom(seed: 7, stream: 3), b = PortableRandom(seed: 7, stream: 3), c = PortableRandom(seed: 7, stream: 4)
        let za = a.normals(8), zb = b.normals(8), zc = c.normals(8)
        XCTAssertEqual(za, zb)
        XCTAssertNotEqual(za, zc)
    }
}

final class SoftmaxTests: XCTestCase {
    func testFastExpMatchesLibm() {
        var worst: Double = 0
        var x: Float = -87
        while x < 88 {
            let ref = Foundation.exp(Double(x))
            worst = max(worst, abs(Double(fastExp(x)) - ref) / ref)
            x += 0.0137
        }
        XCTAssertLessThan(worst, 3e-7)
        XCTAssertEqual(fastExp(-200), 0)
        XCTAssertEqual(fastExp(0), 1)
    }
}
