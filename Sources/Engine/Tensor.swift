/// A dense float32 tensor in row-major (C) order.
///
/// Activations are stored as [C, H, W] (batch 1 is implicit); weights keep the
/// PyTorch layouts ([out, in, kh, kw] for convolutions, [out, in] for linears),
/// so a weight file maps onto them without any transposition.
public struct Tensor: Sendable, Equatable {
    public var shape: [Int]
    public var data: [Float]

    public init(shape: [Int], data: [Float]) {
        precondition(shape.reduce(1, *) == data.count, "shape \(shape) does not match \(data.count) elements")
        self.shape = shape
        self.data = data
    }

    public init(zeros shape: [Int]) {
        self.shape = shape
        self.data = [Float](repeating: 0, count: shape.reduce(1, *))
    }

    public var count: Int { data.count }

    /// Shape as printed in error messages, e.g. `[96, 1, 3, 3]`.
    public var shapeDescription: String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }

    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, data: data)
    }
}
