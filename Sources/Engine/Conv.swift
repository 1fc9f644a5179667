/// What happens to a convolution's result on its way into the destination map:
/// `v = (conv + bias) · scale + shift`, then `max(v, 0)` if `relu`, then `dst += v` if
/// `accumulate`, else `dst = v`. Folding the following batch norm and ReLU here saves a pass
/// over the activation, and accumulating lets a residual sum land in place.
public struct Epilogue: Sendable {
    public var scale: [Float]?
    public var shift: [Float]?
    public var relu: Bool
    public var accumulate: Bool

    public init(scale: [Float]? = nil, shift: [Float]? = nil, relu: Bool = false, accumulate: Bool = false) {
        self.scale = scale
        self.shift = shift
        self.relu = relu
        self.accumulate = accumulate
    }

    public static let plain = Epilogue()
}

/// A 3×3 convolution (stride 1, zero padding 1), weights packed per tap.
///
/// With the input stored with a 1-pixel zero border, output pixel (y, x) of tap (dy, dx) reads
/// input (y+dy, x+dx), which is a constant offset in the padded buffer when the output is laid out
/// with the padded row stride. So each tap is one GEMM, `out[Cout, H·(W+2)] += W_tap[Cout, Cin] ·
/// in_shifted[Cin, H·(W+2)]`, with no im2col buffer. The two extra columns per row are computed
/// and dropped by the epilogue. That keeps the working set at the size of the maps themselves.
public final class Conv3x3 {
    package let inChannels: Int
    package let outChannels: Int
    let bias: [Float]
    /// taps[t] is [Cout, Cin] for t = ky·3 + kx.
    let taps: [[Float]]
    /// For `upsampleThenConv`: phases[a·2 + b] lists the 2×2 taps (dy, dx, weights) of output phase (a, b).
    let phases: [[(dy: Int, dx: Int, w: [Float])]]?

    /// - Parameter upsampling: also prepare the phase kernels used by `upsampleThenConv`.
    public init(weight: Tensor, bias: Tensor?, upsampling: Bool = false) {
        precondition(weight.shape.count == 4 && weight.shape[2] == 3 && weight.shape[3] == 3)
        outChannels = weight.shape[0]
        inChannels = weight.shape[1]
        self.bias = bias?.data ?? [Float](repeating: 0, count: weight.shape[0])
        var taps = [[Float]](repeating: [Float](repeating: 0, count: outChannels * inChannels), count: 9)
        for o in 0..<outChannels {
            for i in 0..<inChannels {
                for t in 0..<9 {
                    taps[t][o * inChannels + i] = weight.data[(o * inChannels + i) * 9 + t]
                }
            }
        }
        self.taps = taps
        phases = upsampling ? Conv3x3.phaseKernels(taps: taps) : nil
    }

    /// Nearest 2× upsampling followed by a 3×3 conv equals, for each of the four output phases
    /// (a, b) = (row parity, column parity), a 2×2 conv on the low-resolution map: kernel rows that
    /// land on the same low-resolution row are summed. For a = 0 the upsampled rows 2i−1, 2i, 2i+1
    /// come from low rows i−1, i, i (so rows {0} and {1, 2}); for a = 1 they come from i, i, i+1
    /// ({0, 1} and {2}). This does 4/9 of the arithmetic and never builds the upsampled map.
    static func phaseKernels(taps: [[Float]]) -> [[(dy: Int, dx: Int, w: [Float])]] {
        let groups: [[(offset: Int, rows: [Int])]] = [
            [(-1, [0]), (0, [1, 2])],
            [(0, [0, 1]), (1, [2])],
        ]
        var result: [[(dy: Int, dx: Int, w: [Float])]] = []
        for a in 0..<2 {
            for b in 0..<2 {
                var phase: [(dy: Int, dx: Int, w: [Float])] = []
                for (dy, rows) in groups[a] {
                    for (dx, cols) in groups[b] {
                        var w = [Float](repeating: 0, count: taps[0].count)
                        for ky in rows {
                            for kx in cols {
                                let t = taps[ky * 3 + kx]
                                for j in 0..<w.count { w[j] += t[j] }
                            }
                        }
                        phase.append((dy, dx, w))
                    }
                }
                result.append(phase)
            }
        }
        return result
    }

    /// out = epilogue(conv3x3(input)). `input` must have padding 1; `out` has the same H×W.
    public func callAsFunction(_ input: FeatureMap, into out: FeatureMap, _ epilogue: Epilogue) {
        precondition(input.padding == 1 && input.channels == inChannels)
        precondition(out.channels == outChannels && out.height == input.height && out.width == input.width)
        let tapList = (0..<9).map { (dy: $0 / 3 - 1, dx: $0 % 3 - 1, w: taps[$0]) }
        runTaps(tapList, on: input, to: out.pixel(0, 0, 0), plane: out.planeStride, row: out.rowStride, col: 1, epilogue)
    }

    /// out = epilogue(conv3x3(upsampleNearest2x(input))). `input` [Cin, h, w] has padding 1;
    /// `out` is [Cout, 2h, 2w].
    public func upsampleThenConv(_ input: FeatureMap, into out: FeatureMap, _ epilogue: Epilogue) {
        guard let phases else { preconditionFailure("Conv3x3 built without upsampling: true") }
        precondition(input.padding == 1 && input.channels == inChannels)
        precondition(out.channels == outChannels && out.height == 2 * input.height && out.width == 2 * input.width)
        for a in 0..<2 {
            for b in 0..<2 {
                runTaps(phases[a * 2 + b], on: input, to: out.pixel(0, a, b), plane: out.planeStride,
                        row: 2 * out.rowStride, col: 2, epilogue)
            }
        }
    }

    /// Σ over taps of W_tap · shifted input, computed a band of rows at a time and passed through the
    /// epilogue while the band is still in cache. A band of output is small (about 1 MB), so the nine
    /// accumulating GEMMs re-read it from cache rather than from memory, and no full-size temporary exists.
    private func runTaps(_ tapList: [(dy: Int, dx: Int, w: [Float])], on input: FeatureMap,
                         to dst: UnsafeMutablePointer<Float>, plane: Int, row: Int, col: Int, _ epilogue: Epilogue) {
        let wp = input.rowStride
        let bandRows = max(1, min(input.height, Conv3x3.bandColumns(outChannels) / wp))
        let band = UnsafeMutablePointer<Float>.allocate(capacity: outChannels * bandRows * wp)
        defer { band.deallocate() }
        let origin = input.plane(0)
        var y0 = 0
        while y0 < input.height {
            let rows = min(bandRows, input.height - y0)
            let n = rows * wp
            for (t, tap) in tapList.enumerated() {
                tap.w.withUnsafeBufferPointer { w in
                    sgemm(m: outChannels, n: n, k: inChannels, a: w.baseAddress!, lda: inChannels,
                          b: origin + (y0 + tap.dy) * wp + tap.dx, ldb: input.planeStride,
                          beta: t == 0 ? 0 : 1, c: band, ldc: n)
                }
            }
            storeEpilogue(band, channels: outChannels, height: rows, width: input.width, srcPlane: n, srcRow: wp,
                          to: dst + y0 * row, plane: plane, row: row, col: col, bias: bias, epilogue)
            y0 += rows
        }
    }

    /// Columns per band: enough for an efficient GEMM, small enough that the band stays in cache.
    static func bandColumns(_ outChannels: Int) -> Int { max(2048, (1 << 20) / (4 * outChannels)) }
}

/// A 1×1 convolution on dense maps (padding 0): one GEMM.
public final class Conv1x1 {
    package let inChannels: Int
    package let outChannels: Int
    let weight: [Float]
    let bias: [Float]?

    public init(weight: Tensor, bias: Tensor?) {
        precondition(weight.shape.count == 4 && weight.shape[2] == 1 && weight.shape[3] == 1)
        outChannels = weight.shape[0]
        inChannels = weight.shape[1]
        self.weight = weight.data
        self.bias = bias?.data
    }

    /// out = epilogue(W · input + bias). Both maps dense (padding 0) and of the same H×W.
    public func callAsFunction(_ input: FeatureMap, into out: FeatureMap, _ epilogue: Epilogue = .plain) {
        precondition(input.padding == 0 && out.padding == 0 && input.channels == inChannels)
        precondition(out.channels == outChannels && out.height == input.height && out.width == input.width)
        let n = input.height * input.width
        let isPlain = epilogue.scale == nil && epilogue.shift == nil && !epilogue.relu
        if isPlain && bias == nil {
            weight.withUnsafeBufferPointer { w in
                sgemm(m: outChannels, n: n, k: inChannels, a: w.baseAddress!, lda: inChannels,
                      b: input.storage, ldb: n, beta: epilogue.accumulate ? 1 : 0, c: out.storage, ldc: n)
            }
            return
        }
        let result = UnsafeMutablePointer<Float>.allocate(capacity: outChannels * n)
        defer { result.deallocate() }
        weight.withUnsafeBufferPointer { w in
            sgemm(m: outChannels, n: n, k: inChannels, a: w.baseAddress!, lda: inChannels,
                  b: input.storage, ldb: n, beta: 0, c: result, ldc: n)
        }
        storeEpilogue(result, channels: outChannels, height: input.height, width: input.width,
                      srcPlane: n, srcRow: input.width, to: out.storage, plane: out.planeStride,
                      row: out.rowStride, col: 1, bias: bias ?? [Float](repeating: 0, count: outChannels), epilogue)
    }

    /// out = W · input (no bias), for callers that want the raw product.
    public func product(_ input: FeatureMap) -> FeatureMap {
        let out = FeatureMap(channels: outChannels, height: input.height, width: input.width)
        let n = input.height * input.width
        weight.withUnsafeBufferPointer { w in
            sgemm(m: outChannels, n: n, k: inChannels, a: w.baseAddress!, lda: inChannels,
                  b: input.storage, ldb: n, beta: 0, c: out.storage, ldc: n)
        }
        return out
    }
}

/// Writes a GEMM result through the epilogue into a (possibly strided) destination.
func storeEpilogue(_ src: UnsafeMutablePointer<Float>, channels: Int, height: Int, width: Int,
                   srcPlane: Int, srcRow: Int,
                   to dst: UnsafeMutablePointer<Float>, plane: Int, row: Int, col: Int,
                   bias: [Float], _ e: Epilogue) {
    parallelFor(channels) { c in
        // (v + bias)·scale + shift  ==  v·scale + (bias·scale + shift)
        let s = e.scale?[c] ?? 1
        let t = bias[c] * s + (e.shift?[c] ?? 0)
        for y in 0..<height {
            let from = src + c * srcPlane + y * srcRow
            let to = dst + c * plane + y * row
            // Unit stride is the common case; it gets its own loops so the compiler vectorises them.
            switch (e.relu, e.accumulate, col == 1) {
            case (false, false, true): for x in 0..<width { to[x] = from[x] * s + t }
            case (false, true, true): for x in 0..<width { to[x] += from[x] * s + t }
            case (true, false, true): for x in 0..<width { to[x] = max(from[x] * s + t, 0) }
            case (true, true, true): for x in 0..<width { to[x] += max(from[x] * s + t, 0) }
            case (false, false, false): for x in 0..<width { to[x * col] = from[x] * s + t }
            case (false, true, false): for x in 0..<width { to[x * col] += from[x] * s + t }
            case (true, false, false): for x in 0..<width { to[x * col] = max(from[x] * s + t, 0) }
            case (true, true, false): for x in 0..<width { to[x * col] += max(from[x] * s + t, 0) }
            }
        }
    }
}
