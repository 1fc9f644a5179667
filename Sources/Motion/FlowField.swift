/// Per-pixel motion from one frame to another at working resolution: pixel (x, y) of the first
/// frame is at (x + dx, y + dy) in the second. Pixel centres are at integer coordinates.
public struct FlowField: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var dx: [Float]
    public var dy: [Float]

    public init(width: Int, height: Int, dx: [Float], dy: [Float]) {
        precondition(width > 0 && height > 0 && dx.count == width * height && dy.count == width * height,
                     "flow must hold width * height vectors")
        self.width = width
        self.height = height
        self.dx = dx
        self.dy = dy
    }

    /// No motion.
    public static func zero(width: Int, height: Int) -> FlowField {
        let none = [Float](repeating: 0, count: width * height)
        return FlowField(width: width, height: height, dx: none, dy: none)
    }
}

/// Bilinear sampling of row-major planes at fractional positions; positions outside the picture
/// are clamped to its edge (callers mark them with `contains` first where that matters).
struct Sampler {
    let width: Int
    let height: Int

    /// Whether (x, y) lies on the picture (within half a pixel of an edge pixel's centre).
    @inline(__always)
    func contains(_ x: Float, _ y: Float) -> Bool {
        x >= -0.5 && y >= -0.5 && x <= Float(width) - 0.5 && y <= Float(height) - 0.5
    }

    /// The four neighbours of a position and their weights.
    struct Taps {
        var i00: Int, i01: Int, i10: Int, i11: Int
        var fx: Float, fy: Float
    }

    /// The four neighbours of (x, y) and their weights.
    @inline(__always)
    func taps(_ x: Float, _ y: Float) -> Taps {
        let cx = min(max(x, 0), Float(width - 1)), cy = min(max(y, 0), Float(height - 1))
        let x0 = Int(cx), y0 = Int(cy)
        let x1 = min(x0 + 1, width - 1), y1 = min(y0 + 1, height - 1)
        return Taps(i00: y0 * width + x0, i01: y0 * width + x1, i10: y1 * width + x0, i11: y1 * width + x1,
                    fx: cx - Float(x0), fy: cy - Float(y0))
    }

    @inline(__always)
    static func mix(_ plane: UnsafeBufferPointer<Float>, _ t: Taps) -> Float {
        let top = plane[t.i00] + (plane[t.i01] - plane[t.i00]) * t.fx
        let bottom = plane[t.i10] + (plane[t.i11] - plane[t.i10]) * t.fx
        return top + (bottom - top) * t.fy
    }

    @inline(__always)
    func sample(_ plane: UnsafeBufferPointer<Float>, _ x: Float, _ y: Float) -> Float {
        Sampler.mix(plane, taps(x, y))
    }
}
