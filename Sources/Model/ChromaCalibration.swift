import Foundation

/// A model's chroma calibration (Docs/model-format.md, "Chroma calibration"): a table from the
/// network's CIELAB a/b, per band of gray, to the true a/b of training pixels where the network said
/// that a/b (their median or mean; the engine does not care which). A regression-trained network that
/// is unsure says an in-between hue; the table keeps its reliable hues and pulls the unreliable ones
/// towards what photos really had, so the saturation gain after it spends colorfulness where the color
/// is right. Fitted by
/// `kinecolor_training.calibrate`, which uses the same layout and interpolation.
public struct ChromaCalibration: Sendable, Equatable {
    /// The tensor's name in a model file.
    public static let tensorKey = "calibration.ab"
    /// Bands of 100·gray: band l covers [100·l/bands, 100·(l+1)/bands).
    public let bands: Int
    /// Nodes per a and per b axis, at -range, -range + step, …, +range.
    public let nodes: Int
    public let range: Float
    /// [bands, nodes (a), nodes (b), 2] row-major: the calibrated (a, b) at each node.
    let table: [Float]

    /// Tables beyond these are not a calibration but a damaged or hostile header.
    static let maxBands = 64, maxNodes = 257, maxAB: Float = 128

    /// Checks shape and values; the message names the problem.
    public init(shape: [Int], values: [Float], range: Double) throws {
        guard shape.count == 4, shape[3] == 2, (1...Self.maxBands).contains(shape[0]),
              (2...Self.maxNodes).contains(shape[1]), shape[2] == shape[1] else {
            throw ModelError.invalidConfig("tensor '\(Self.tensorKey)' has shape \(shape), expected [bands ≤ \(Self.maxBands), nodes ≤ \(Self.maxNodes), nodes, 2]")
        }
        guard values.count == shape.reduce(1, *) else {
            throw ModelError.invalidConfig("tensor '\(Self.tensorKey)' holds \(values.count) values for shape \(shape)")
        }
        guard range.isFinite, range > 0, range <= Double(Self.maxAB) else {
            throw ModelError.invalidConfig("calibration.ab_range \(range) must be in (0, \(Int(Self.maxAB))]")
        }
        guard values.allSatisfy({ $0.isFinite && abs($0) <= Self.maxAB }) else {
            throw ModelError.invalidConfig("tensor '\(Self.tensorKey)' holds values that are not finite a/b within ±\(Int(Self.maxAB))")
        }
        bands = shape[0]
        nodes = shape[1]
        self.range = Float(range)
        table = values
    }

    /// Calibrates a/b in place; `luma` is the gray in [0, 1] at the same size. Bilinear in (a, b)
    /// within a band (clamped to ±range), then linear in gray between band centres.
    public func apply(a: inout [Float], b: inout [Float], luma: [Float]) {
        precondition(a.count == b.count && a.count == luma.count, "a, b and luma differ in size")
        let step = 2 * range / Float(nodes - 1)
        let lastCell = nodes - 2
        for i in 0..<a.count {
            // a NaN would trap in Int(); the network's output is finite, but this is a public entry
            let ai = a[i].isFinite ? a[i] : 0, bi = b[i].isFinite ? b[i] : 0, gray = luma[i].isFinite ? luma[i] : 0
            let u = (min(max(ai, -range), range) + range) / step
            let v = (min(max(bi, -range), range) + range) / step
            let u0 = min(Int(u), lastCell), v0 = min(Int(v), lastCell)
            let fu = u - Float(u0), fv = v - Float(v0)
            let pos = min(max(gray * Float(bands) - 0.5, 0), Float(bands - 1))
            let l0 = min(Int(pos), bands - 1), l1 = min(l0 + 1, bands - 1)
            let fl = pos - Float(l0)
            // bilinear in (a, b) within one band
            func lookup(_ band: Int) -> (Float, Float) {
                let k00 = ((band * nodes + u0) * nodes + v0) * 2, k10 = k00 + nodes * 2
                let w00 = (1 - fu) * (1 - fv), w01 = (1 - fu) * fv, w10 = fu * (1 - fv), w11 = fu * fv
                return (w00 * table[k00] + w01 * table[k00 + 2] + w10 * table[k10] + w11 * table[k10 + 2],
                        w00 * table[k00 + 1] + w01 * table[k00 + 3] + w10 * table[k10 + 1] + w11 * table[k10 + 3])
            }
            var out = lookup(l0)
            if l1 != l0 && fl > 0 {
                let up = lookup(l1)
                out = ((1 - fl) * out.0 + fl * up.0, (1 - fl) * out.1 + fl * up.1)
            }
            a[i] = out.0
            b[i] = out.1
        }
    }
}
