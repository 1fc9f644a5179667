// The per-frame feature of the detector: a small luma thumbnail normalized for
// brightness and contrast, so that flicker (global gain/offset changes) and
// fades leave it (almost) unchanged while a change of picture does not.

/// The detector's thumbnails are at least this many cells wide (and less than twice as wide).
let thumbnailMinWidth = 64

/// Contrast regularizer, in luma units of [0, 1] on the thumbnail. Dividing by
/// sqrt(variance + eps^2) instead of the bare standard deviation makes
/// low-contrast frames (black, deep in a fade) shrink toward zero smoothly
/// instead of having their noise blown up to full contrast.
let contrastEpsilon = 0.1

/// Weight of a pure contrast change against a change of picture: a fast fade in
/// from black changes contrast a lot between two frames but keeps the picture.
let contrastChangeWeight = 0.25

struct LumaThumbnail {
    /// Zero-mean cells scaled by 1 / sqrt(variance + eps^2), row-major.
    var cells: [Float]
    /// Root mean square of `cells`: std / sqrt(std^2 + eps^2), from 0 (flat) toward 1.
    var contrast: Double

    /// Box-downsamples a luma plane by an integer factor chosen from the width
    /// alone, so the thumbnail depends only on the picture, not on the decoder.
    /// `rowStride` is in elements; samples are scaled by 1 / maxValue.
    init<Sample: BinaryInteger>(
        luma: UnsafeBufferPointer<Sample>, width: Int, height: Int, rowStride: Int, maxValue: Int,
        minWidth: Int = thumbnailMinWidth
    ) {
        precondition(width > 0 && height > 0 && rowStride >= width && maxValue > 0,
                     "bad luma plane geometry")
        precondition(luma.count >= (height - 1) * rowStride + width, "luma buffer too small")
        let factor = max(1, width / minWidth)
        let factorY = min(factor, height)
        let cols = width / factor
        let rows = height / factorY
        // Remainder columns/rows at the right and bottom edge are ignored.
        var sums = [UInt64](repeating: 0, count: cols * rows)
        for y in 0..<(rows * factorY) {
            let rowBase = y * rowStride
            let cellRow = (y / factorY) * cols
            for cx in 0..<cols {
                var sum: UInt64 = 0
                let x0 = rowBase + cx * factor
                for x in x0..<(x0 + factor) { sum += UInt64(luma[x]) }
                sums[cellRow + cx] += sum
            }
        }
        let scale = 1 / (Double(factor * factorY) * Double(maxValue))
        var values = sums.map { Double($0) * scale }
        var mean = 0.0
        for v in values { mean += v }
        mean /= Double(values.count)
        var variance = 0.0
        for v in values { variance += (v - mean) * (v - mean) }
        variance /= Double(values.count)
        let inverseScale = 1 / (variance + contrastEpsilon * contrastEpsilon).squareRoot()
        for i in values.indices { values[i] = (values[i] - mean) * inverseScale }
        cells = values.map { Float($0) }
        contrast = (variance / (variance + contrastEpsilon * contrastEpsilon)).squareRoot()
    }

    /// With contrasts fa, fb and correlation r between the two pictures:
    ///   w * (fa - fb)^2 / 2   (contrast change, down-weighted)
    /// + fa * fb * (1 - r)     (change of picture).
    /// 0 for the same picture, about 1 - r between two well-exposed frames.
    /// A change of frame size mid-stream counts as a complete change of picture.
    func distance(to other: LumaThumbnail) -> Double {
        guard cells.count == other.cells.count else { return 1 }
        var dot = 0.0
        for i in cells.indices { dot += Double(cells[i]) * Double(other.cells[i]) }
        let covariance = dot / Double(cells.count)   // = fa * fb * r
        let contrastChange = contrast - other.contrast
        return contrastChangeWeight * contrastChange * contrastChange / 2 + contrast * other.contrast - covariance
    }
}
