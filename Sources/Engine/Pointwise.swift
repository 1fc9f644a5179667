import Foundation

// Memory-bound kernels around the convolutions. Each is one pass over its input.

/// relu(x · scale + shift) per channel, optionally followed by a 2×2 average pool (floor mode),
/// written into a new map with a 1-pixel zero border, ready for a 3×3 convolution.
/// This is the pre-activation of every residual block: BN → ReLU → (pool) → conv.
public func normReLUPadded(_ x: FeatureMap, scale: [Float], shift: [Float], pool: Bool = false) -> FeatureMap {
    let h = pool ? x.height / 2 : x.height
    let w = pool ? x.width / 2 : x.width
    let out = FeatureMap(channels: x.channels, height: h, width: w, padding: 1)
    parallelFor(x.channels) { c in
        let s = scale[c], t = shift[c]
        for y in 0..<h {
            let to = out.pixel(c, y, 0)
            if pool {
                let r0 = x.pixel(c, 2 * y, 0), r1 = x.pixel(c, 2 * y + 1, 0)
                for i in 0..<w {
                    let a = max(r0[2 * i] * s + t, 0) + max(r0[2 * i + 1] * s + t, 0)
                    let b = max(r1[2 * i] * s + t, 0) + max(r1[2 * i + 1] * s + t, 0)
                    to[i] = (a + b) * 0.25
                }
            } else {
                let from = x.pixel(c, y, 0)
                for i in 0..<w { to[i] = max(from[i] * s + t, 0) }
            }
        }
    }
    return out
}

/// 2×2 average pool, stride 2, floor mode, into a dense map.
public func averagePool2(_ x: FeatureMap) -> FeatureMap {
    let h = x.height / 2, w = x.width / 2
    let out = FeatureMap(channels: x.channels, height: h, width: w)
    parallelFor(x.channels) { c in
        for y in 0..<h {
            let r0 = x.pixel(c, 2 * y, 0), r1 = x.pixel(c, 2 * y + 1, 0), to = out.pixel(c, y, 0)
            for i in 0..<w { to[i] = ((r0[2 * i] + r0[2 * i + 1]) + (r1[2 * i] + r1[2 * i + 1])) * 0.25 }
        }
    }
    return out
}

/// 2×2 max pool, stride 2, into a dense map.
package func maxPool2(_ x: FeatureMap) -> FeatureMap {
    let h = x.height / 2, w = x.width / 2
    let out = FeatureMap(channels: x.channels, height: h, width: w)
    parallelFor(x.channels) { c in
        for y in 0..<h {
            let r0 = x.pixel(c, 2 * y, 0), r1 = x.pixel(c, 2 * y + 1, 0), to = out.pixel(c, y, 0)
            for i in 0..<w { to[i] = max(max(r0[2 * i], r0[2 * i + 1]), max(r1[2 * i], r1[2 * i + 1])) }
        }
    }
    return out
}

/// out = nearest2x(x) + bias[c], into a new dense map of twice the size.
public func upsampleNearest2(_ x: FeatureMap, bias: [Float]) -> FeatureMap {
    let out = FeatureMap(channels: x.channels, height: 2 * x.height, width: 2 * x.width)
    parallelFor(x.channels) { c in
        let b = bias[c]
        for y in 0..<x.height {
            let from = x.pixel(c, y, 0)
            let r0 = out.pixel(c, 2 * y, 0), r1 = out.pixel(c, 2 * y + 1, 0)
            for i in 0..<x.width {
                let v = from[i] + b
                r0[2 * i] = v; r0[2 * i + 1] = v
            }
            r1.update(from: r0, count: out.width)
        }
    }
    return out
}

public func tanhInPlace(_ x: FeatureMap) {
    parallelFor(x.channels) { c in
        for y in 0..<x.height {
            let p = x.pixel(c, y, 0)
            for i in 0..<x.width { p[i] = tanhf(p[i]) }
        }
    }
}

/// y = W · v for W [rows, cols] row-major. Small (class-conditioning linears), so a plain loop.
public func matvec(_ w: [Float], rows: Int, cols: Int, _ v: [Float]) -> [Float] {
    precondition(w.count == rows * cols && v.count == cols)
    var y = [Float](repeating: 0, count: rows)
    w.withUnsafeBufferPointer { w in
        for r in 0..<rows {
            var acc: Float = 0
            let row = w.baseAddress! + r * cols
            for j in 0..<cols { acc += row[j] * v[j] }
            y[r] = acc
        }
    }
    return y
}

/// BigGAN's non-local block: out = x + γ · o(g · softmax(θᵀ φ)ᵀ), with φ and g max-pooled 2×2.
/// No bias anywhere and no 1/√d scaling (that is what the checkpoint was trained with).
public func nonLocalAttention(_ x: FeatureMap, theta: Conv1x1, phi: Conv1x1, g: Conv1x1, o: Conv1x1,
                              gamma: Float) -> FeatureMap {
    precondition(x.padding == 0 && x.height % 2 == 0 && x.width % 2 == 0)
    let n = x.height * x.width, m = n / 4
    let th = theta.product(x)               // [C/8, N]
    let ph = maxPool2(phi.product(x))       // [C/8, N/4]
    let gg = maxPool2(g.product(x))         // [C/2, N/4]
    let dk = th.channels, dv = gg.channels

    // β[N, N/4] = θᵀ φ, softmax over the pooled axis.
    let beta = UnsafeMutablePointer<Float>.allocate(capacity: n * m)
    defer { beta.deallocate() }
    sgemm(transA: true, m: n, n: m, k: dk, a: th.storage, lda: n, b: ph.storage, ldb: m,
          beta: 0, c: beta, ldc: m)
    softmaxRows(beta, rows: n, cols: m)

    // o[C/2, N] = g[C/2, N/4] · βᵀ
    let attended = FeatureMap(channels: dv, height: x.height, width: x.width)
    sgemm(transB: true, m: dv, n: n, k: m, a: gg.storage, lda: m, b: beta, ldb: m,
          beta: 0, c: attended.storage, ldc: n)

    // out = x + γ · (W_o · o)
    let out = FeatureMap(channels: x.channels, height: x.height, width: x.width)
    out.storage.update(from: x.storage, count: x.channels * n)
    o.weight.withUnsafeBufferPointer { w in
        sgemm(m: o.outChannels, n: n, k: dv, alpha: gamma, a: w.baseAddress!, lda: dv,
              b: attended.storage, ldb: n, beta: 1, c: out.storage, ldc: n)
    }
    return out
}

/// Numerically stable softmax of each row, in place.
///
/// The attention softmax takes N × N/4 exponentials per frame (13.8 M at 256×464). libm's expf,
/// with its errno and underflow slow paths, made it the costliest step of a small model; `fastExp`
/// is branch-free, so the loop below vectorises.
func softmaxRows(_ p: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
    let block = 64
    parallelFor((rows + block - 1) / block) { b in
        for r in (b * block)..<min(rows, (b + 1) * block) {
            let row = p + r * cols
            // Max and sum in four lanes: a plain float reduction would not be vectorised (its
            // result depends on the order), and these two loops would cost as much as the exps.
            let raw = UnsafeRawPointer(row)
            let lanes = cols / 4 * 4
            var mx4 = SIMD4<Float>(repeating: -.infinity)
            for j in stride(from: 0, to: lanes, by: 4) {
                mx4 = pointwiseMax(mx4, raw.loadUnaligned(fromByteOffset: j * 4, as: SIMD4<Float>.self))
            }
            var mx = mx4.max()
            for j in lanes..<cols { mx = max(mx, row[j]) }
            for j in 0..<cols { row[j] = fastExp(row[j] - mx) }
            var sum4 = SIMD4<Float>()
            for j in stride(from: 0, to: lanes, by: 4) { sum4 += raw.loadUnaligned(fromByteOffset: j * 4, as: SIMD4<Float>.self) }
            var sum = sum4.sum()
            for j in lanes..<cols { sum += row[j] }
            let inv = 1 / sum
            for j in 0..<cols { row[j] *= inv }
        }
    }
}

/// e^x without branches (Cephes expf): x = n·ln2 + r with |r| ≤ ln2/2 (Cody–Waite), a degree-6
/// polynomial for e^r, and 2^n put into the exponent bits. Relative error ≤ 2e-7 for x ≥ −87.3;
/// below that the result is 0 (where libm would underflow), above 88.7 it saturates.
@inline(__always)
func fastExp(_ x: Float) -> Float {
    let xc = min(max(x, -87.3), 88.7)
    let magic: Float = 12_582_912                 // 1.5·2^23: adding and subtracting it rounds to an integer
    let n = (xc * 1.442_695_04 + magic) - magic
    let r = (xc - n * 0.693_359_375) + n * 2.121_944_4e-4
    var poly: Float = 1.987_569_15e-4
    poly = poly * r + 1.398_199_95e-3
    poly = poly * r + 8.333_451_9e-3
    poly = poly * r + 4.166_579_59e-2
    poly = poly * r + 1.666_666_55e-1
    poly = poly * r + 5.000_000_12e-1
    let er = poly * (r * r) + r + 1
    // (n + 127) in the exponent field. For v in [2^23, 2^24) the bits of v are 0x4B000000 + (v − 2^23).
    let biased = (n + 8_388_735).bitPattern &- 0x4B00_0000
    let scaled = er * Float(bitPattern: biased &<< 23)
    return x >= -87.3 ? scaled : 0
}
