/// An activation map [C, H, W] with an optional zero border of `padding` pixels on every side.
///
/// Convolutions read their input from a map with a 1-pixel zero border: with that layout, every
/// 3×3 tap is a constant offset into the buffer, so a convolution becomes nine plain GEMMs
/// over shifted views of the same memory and needs no im2col copy (see `Conv.swift`).
public final class FeatureMap {
    public let channels: Int
    public let height: Int
    public let width: Int
    public let padding: Int

    /// Row stride and channel stride, in floats, of the padded layout.
    let rowStride: Int
    let planeStride: Int
    /// Taps read up to 2 floats past the last plane; the slack keeps those reads in bounds.
    static let slack = 8
    let storage: UnsafeMutablePointer<Float>
    let capacity: Int

    /// A map whose interior is uninitialised (every kernel that makes one writes all of it)
    /// and whose border and slack are zero.
    public init(channels: Int, height: Int, width: Int, padding: Int = 0) {
        precondition(channels > 0 && height > 0 && width > 0 && padding >= 0)
        self.channels = channels
        self.height = height
        self.width = width
        self.padding = padding
        rowStride = width + 2 * padding
        planeStride = rowStride * (height + 2 * padding)
        capacity = planeStride * channels + FeatureMap.slack
        storage = .allocate(capacity: capacity)
        zeroBorder()
    }

    public convenience init(_ tensor: Tensor, padding: Int = 0) {
        let s = tensor.shape
        precondition(s.count >= 3 && s.dropLast(3).allSatisfy { $0 == 1 }, "expected [C, H, W], got \(s)")
        self.init(channels: s[s.count - 3], height: s[s.count - 2], width: s[s.count - 1], padding: padding)
        tensor.data.withUnsafeBufferPointer { src in
            for c in 0..<channels {
                for y in 0..<height {
                    (pixel(c, y, 0)).update(from: src.baseAddress! + (c * height + y) * width, count: width)
                }
            }
        }
    }

    deinit { storage.deallocate() }

    /// The interior as a dense [1, C, H, W] tensor.
    public var tensor: Tensor {
        var data = [Float](repeating: 0, count: channels * height * width)
        data.withUnsafeMutableBufferPointer { dst in
            for c in 0..<channels {
                for y in 0..<height {
                    (dst.baseAddress! + (c * height + y) * width).update(from: pixel(c, y, 0), count: width)
                }
            }
        }
        return Tensor(shape: [1, channels, height, width], data: data)
    }

    public var count: Int { channels * height * width }
    public var byteCount: Int { capacity * MemoryLayout<Float>.size }

    @inline(__always) func pixel(_ c: Int, _ y: Int, _ x: Int) -> UnsafeMutablePointer<Float> {
        storage + c * planeStride + (y + padding) * rowStride + (x + padding)
    }

    @inline(__always) func plane(_ c: Int) -> UnsafeMutablePointer<Float> { pixel(c, 0, 0) }

    private func zeroBorder() {
        (storage + planeStride * channels).initialize(repeating: 0, count: FeatureMap.slack)
        guard padding > 0 else { return }
        for c in 0..<channels {
            let base = storage + c * planeStride
            base.initialize(repeating: 0, count: padding * rowStride)
            (base + (padding + height) * rowStride).initialize(repeating: 0, count: padding * rowStride)
            for y in padding..<(padding + height) {
                (base + y * rowStride).initialize(repeating: 0, count: padding)
                (base + y * rowStride + padding + width).initialize(repeating: 0, count: padding)
            }
        }
    }
}

