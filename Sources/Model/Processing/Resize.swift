import Dispatch
import KinecolorEngine

/// The network input size for an H0×W0 image, by the official 'powerof' rule (Docs/bigcolor-architecture.md
/// §8, step 5): the short side becomes `target`, the long side is scaled by the same factor and
/// rounded *up* to a multiple of `unit`. The arithmetic is IEEE double in the official order
/// (target/short, then ×long, then /unit, then ceil), which decides the edge cases:
/// 600×800 → 256×352, 720×1280 → 256×464, 300×375 → 256×320, and a square gives 256×256.
public func powerofSize(height: Int, width: Int, target: Int = 256, unit: Int = 16) -> (height: Int, width: Int) {
    precondition(height > 0 && width > 0, "powerofSize: empty image \(height)×\(width)")
    precondition(target > 0 && unit > 0 && target % unit == 0,
                 "powerofSize: target \(target) must be a positive multiple of unit \(unit)")
    let short = min(height, width), long = max(height, width)
    let scaled = Double(target) / Double(short) * Double(long)
    let longSide = unit * Int((scaled / Double(unit)).rounded(.up))
    return width > height ? (target, longSide) : (longSide, target)
}

/// Bilinear resize without antialiasing, matching PyTorch's
/// `interpolate(mode: 'bilinear', align_corners: False)` (what torchvision 0.11 used for
/// tensors): the source coordinate is (dst + 0.5)·(in/out) − 0.5, clamped below at 0,
/// blending samples i0 and min(i0 + 1, in − 1). Results agree with PyTorch to about one
/// float ulp (its CPU kernels may fuse multiply-adds, which plain Swift does not).
///
/// This is the official pipeline's resize in both directions: shrinking the frame's luma to
/// the network size and enlarging the network's colour back to the frame size. When shrinking
/// by more than 2× it skips source pixels and can alias on fine texture; `resizeArea` avoids
/// that but no longer reproduces the official results.
///
/// `image` is [C, H, W] (planes resized independently) or [H, W]; the result has the same rank.
public func resizeBilinear(_ image: Tensor, height: Int, width: Int) -> Tensor {
    let (channels, inHeight, inWidth) = planarDimensions(image, "resizeBilinear")
    return resample(image, channels: channels,
                    rows: .bilinear(from: inHeight, to: height),
                    columns: .bilinear(from: inWidth, to: width))
}

/// Area-average (box-filter) resize: each output pixel is the mean of the source pixels its
/// footprint covers, partially covered ones weighted by coverage. It is the antialiased
/// alternative for *shrinking* luma to the network size (stable on film grain and fine
/// patterns, at the cost of departing from the official pipeline); along an axis that grows
/// it falls back to `resizeBilinear`'s weights, since averaging means nothing there.
///
/// `image` is [C, H, W] or [H, W]; the result has the same rank.
public func resizeArea(_ image: Tensor, height: Int, width: Int) -> Tensor {
    let (channels, inHeight, inWidth) = planarDimensions(image, "resizeArea")
    return resample(image, channels: channels,
                    rows: .area(from: inHeight, to: height),
                    columns: .area(from: inWidth, to: width))
}

private func planarDimensions(_ t: Tensor, _ caller: String) -> (channels: Int, height: Int, width: Int) {
    switch t.shape.count {
    case 2 where t.shape[0] > 0 && t.shape[1] > 0: return (1, t.shape[0], t.shape[1])
    case 3 where t.shape[1] > 0 && t.shape[2] > 0: return (t.shape[0], t.shape[1], t.shape[2])
    default: preconditionFailure("\(caller): expected a non-empty [C, H, W] or [H, W] tensor, got \(t.shapeDescription)")
    }
}

/// For one axis: which source samples feed each output sample, and with what weight.
/// Precomputed once per call so the inner loops are plain multiply-adds.
private struct AxisWeights {
    let outCount: Int
    /// Samples per output (2 for bilinear); unused slots have weight 0.
    let taps: Int
    /// outCount × taps source indices.
    let index: [Int]
    /// outCount × taps weights.
    let weight: [Float]

    static func bilinear(from inCount: Int, to outCount: Int) -> AxisWeights {
        precondition(outCount > 0, "resize: target size must be positive, got \(outCount)")
        var index = [Int](repeating: 0, count: 2 * outCount)
        var weight = [Float](repeating: 0, count: 2 * outCount)
        // As PyTorch 1.10's CPU kernel: the ratio in float, the coordinate in double (there,
        // scale·(d+0.5) is a float times a double) rounded back to float.
        let scale = Float(inCount) / Float(outCount)
        for d in 0..<outCount {
            if inCount == outCount {
                index[2 * d] = d
                index[2 * d + 1] = d
                weight[2 * d] = 1
                continue
            }
            let source = max(Float(Double(scale) * (Double(d) + 0.5) - 0.5), 0)
            let i0 = Int(source)
            let lambda1 = source - Float(i0)
            index[2 * d] = i0
            index[2 * d + 1] = i0 < inCount - 1 ? i0 + 1 : i0
            weight[2 * d] = Float(1.0 - Double(lambda1))
            weight[2 * d + 1] = lambda1
        }
        return AxisWeights(outCount: outCount, taps: 2, index: index, weight: weight)
    }

    static func area(from inCount: Int, to outCount: Int) -> AxisWeights {
        precondition(outCount > 0, "resize: target size must be positive, got \(outCount)")
        if outCount >= inCount { return bilinear(from: inCount, to: outCount) }
        let footprint = Double(inCount) / Double(outCount)
        // A footprint of width f starting anywhere touches at most ceil(f) + 1 samples.
        let taps = Int(footprint.rounded(.up)) + 1
        var index = [Int](repeating: 0, count: taps * outCount)
        var weight = [Float](repeating: 0, count: taps * outCount)
        for d in 0..<outCount {
            let start = Double(d) * footprint
            let end = min(Double(d + 1) * footprint, Double(inCount))
            var covered: [(Int, Double)] = []
            var i = Int(start)
            while Double(i) < end, i < inCount {
                let overlap = min(end, Double(i + 1)) - max(start, Double(i))
                if overlap > 1e-12 { covered.append((i, overlap)) }
                i += 1
            }
            let total = covered.reduce(0) { $0 + $1.1 }
            for (k, (i, overlap)) in covered.enumerated() {
                index[taps * d + k] = i
                weight[taps * d + k] = Float(overlap / total)
            }
            // Unused taps point at a sample already in use, with weight 0.
            for k in covered.count..<taps { index[taps * d + k] = covered[0].0 }
        }
        return AxisWeights(outCount: outCount, taps: taps, index: index, weight: weight)
    }
}

/// Separable resampling: columns first, then rows, the order in which PyTorch's bilinear kernel
/// sums. Only source rows that some output row uses are filtered horizontally, which matters
/// when shrinking a full HD frame.
private func resample(_ image: Tensor, channels: Int, rows: AxisWeights, columns: AxisWeights) -> Tensor {
    let inHeight = image.shape[image.shape.count - 2], inWidth = image.shape[image.shape.count - 1]
    let outHeight = rows.outCount, outWidth = columns.outCount
    var outShape = image.shape
    outShape[outShape.count - 2] = outHeight
    outShape[outShape.count - 1] = outWidth
    if inHeight == outHeight && inWidth == outWidth { return Tensor(shape: outShape, data: image.data) }

    var used = [Bool](repeating: false, count: inHeight)
    for r in rows.index { used[r] = true }
    let usedRows = (0..<inHeight).filter { used[$0] }

    var scratch = [Float](repeating: 0, count: inHeight * outWidth)
    let data = [Float](unsafeUninitializedCapacity: channels * outHeight * outWidth) { out, initialized in
        image.data.withUnsafeBufferPointer { src in
        scratch.withUnsafeMutableBufferPointer { tmp in
        columns.index.withUnsafeBufferPointer { cIndex in
        columns.weight.withUnsafeBufferPointer { cWeight in
        rows.index.withUnsafeBufferPointer { rIndex in
        rows.weight.withUnsafeBufferPointer { rWeight in
            let cTaps = columns.taps, rTaps = rows.taps
            for c in 0..<channels {
                let plane = c * inHeight * inWidth
                parallelRanges(usedRows.count, grain: max(1, 65_536 / max(outWidth, 1))) { range in
                    for u in range {
                        let r = usedRows[u]
                        let srcRow = plane + r * inWidth, tmpRow = r * outWidth
                        for x in 0..<outWidth {
                            let t = x * cTaps
                            var acc = src[srcRow + cIndex[t]] * cWeight[t]
                            for k in 1..<cTaps { acc += src[srcRow + cIndex[t + k]] * cWeight[t + k] }
                            tmp[tmpRow + x] = acc
                        }
                    }
                }
                let outPlane = c * outHeight * outWidth
                parallelRanges(outHeight, grain: max(1, 65_536 / max(outWidth, 1))) { range in
                    for y in range {
                        let t = y * rTaps
                        let dst = outPlane + y * outWidth
                        var row = tmp.baseAddress! + rIndex[t] * outWidth
                        var w = rWeight[t]
                        for x in 0..<outWidth { out[dst + x] = row[x] * w }
                        for k in 1..<rTaps {
                            row = tmp.baseAddress! + rIndex[t + k] * outWidth
                            w = rWeight[t + k]
                            for x in 0..<outWidth { out[dst + x] += row[x] * w }
                        }
                    }
                }
            }
        }}}}}}
        initialized = channels * outHeight * outWidth
    }
    return Tensor(shape: outShape, data: data)
}

/// Runs `body` over consecutive slices of 0..<count, in parallel when there is enough work
/// (about `grain` items per slice) to pay for the threads.
private func parallelRanges(_ count: Int, grain: Int, _ body: (Range<Int>) -> Void) {
    let slices = min((count + grain - 1) / grain, 64)
    if slices <= 1 {
        if count > 0 { body(0..<count) }
        return
    }
    DispatchQueue.concurrentPerform(iterations: slices) { s in
        body((s * count / slices)..<((s + 1) * count / slices))
    }
}
