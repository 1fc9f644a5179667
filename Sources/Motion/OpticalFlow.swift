// KinecolorMotion: how the picture moves between neighbouring frames of a shot (dense optical
// flow with a per-pixel confidence), and where the network has to look again (keyframes).
// The stage between shots and the network: Temporal carries and smooths chroma along it.

import COpticalFlow
import Foundation

/// A gray picture at working resolution: row-major, values nominally in [0, 1].
public struct LumaPlane: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public let values: [Float]

    public init(width: Int, height: Int, values: [Float]) {
        precondition(width > 0 && height > 0 && values.count == width * height, "plane must hold width * height values")
        self.width = width
        self.height = height
        self.values = values
    }
}

/// Dense optical flow on luma: OpenCV's DIS (Kroeger et al., "Fast Optical Flow using Dense Inverse
/// Search", ECCV 2016) through the `COpticalFlow` shim.
///
/// Each frame is normalized to zero mean and unit deviation before it is quantized to the 8 bits
/// DIS reads, so flicker (a global gain) and fades (gain and offset) do not look like motion; a
/// light blur keeps film grain from looking like texture. Deterministic: the same two planes give
/// the same bits on every call.
public struct OpticalFlow: Sendable, Equatable {
    public enum Preset: Int32, Sendable, CaseIterable {
        case ultrafast = 0, fast = 1, medium = 2
    }

    public var preset: Preset

    public init(preset: Preset = .fast) {
        self.preset = preset
    }

    /// Where each pixel of `from` went in `to`.
    public func flow(from: LumaPlane, to: LumaPlane) throws -> FlowField {
        precondition(from.width == to.width && from.height == to.height, "planes differ in size")
        return try flow(from: Self.quantized(from), to: Self.quantized(to), width: from.width, height: from.height)
    }

    /// The same on planes already `quantized`.
    func flow(from a: [UInt8], to b: [UInt8], width: Int, height: Int) throws -> FlowField {
        var dx = [Float](repeating: 0, count: width * height)
        var dy = dx
        var message = [CChar](repeating: 0, count: 256)
        let status = a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                dx.withUnsafeMutableBufferPointer { dx in
                    dy.withUnsafeMutableBufferPointer { dy in
                        message.withUnsafeMutableBufferPointer { m in
                            kc_dis_flow(a.baseAddress, b.baseAddress, Int32(width), Int32(height), preset.rawValue,
                                        dx.baseAddress, dy.baseAddress, m.baseAddress, Int32(m.count))
                        }
                    }
                }
            }
        }
        guard status == 0 else {
            // OpenCV's messages end in a line break; the error is one line.
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            throw MotionError("optical flow failed on a \(width)x\(height) frame (\(text))")
        }
        // A NaN from a degenerate patch would poison every later warp: no motion there instead.
        for i in 0..<dx.count where !dx[i].isFinite || !dy[i].isFinite {
            dx[i] = 0
            dy[i] = 0
        }
        return FlowField(width: width, height: height, dx: dx, dy: dy)
    }

    /// The plane as DIS sees it: 3x3-blurred, then mean 128 and deviation 40 (±3.2σ fits in 8 bits).
    /// A nearly flat frame (black, or the end of a fade) keeps a deviation floor, so its noise is
    /// not blown up into texture.
    static func quantized(_ plane: LumaPlane) -> [UInt8] {
        let blurred = boxBlur3(plane.values, width: plane.width, height: plane.height)
        var sum = 0.0, squares = 0.0
        for v in blurred {
            sum += Double(v)
            squares += Double(v) * Double(v)
        }
        let n = Double(blurred.count)
        let mean = sum / n
        let deviation = max((squares / n - mean * mean).squareRoot(), 0.02)
        let scale = Float(40 / deviation), offset = Float(mean)
        return blurred.map { UInt8(max(0, min(255, (($0 - offset) * scale + 128).rounded()))) }
    }
}

public struct MotionError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Mean over 3x3 pixels, edges replicated.
func boxBlur3(_ plane: [Float], width: Int, height: Int) -> [Float] {
    var rows = plane
    for y in 0..<height {
        let base = y * width
        for x in 0..<width {
            let l = plane[base + max(0, x - 1)], r = plane[base + min(width - 1, x + 1)]
            rows[base + x] = (l + plane[base + x] + r) / 3
        }
    }
    var out = rows
    for y in 0..<height {
        let up = max(0, y - 1) * width, down = min(height - 1, y + 1) * width, base = y * width
        for x in 0..<width { out[base + x] = (rows[up + x] + rows[base + x] + rows[down + x]) / 3 }
    }
    return out
}
