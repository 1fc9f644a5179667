import KinecolorEngine

/// A learned tensor, named by the property that holds it.
public final class Parameter {
    public let shape: [Int]
    public internal(set) var value: Tensor

    /// Only the shape: the weights come from a file (after its shapes were checked against
    /// this tree) or from `ColorizationModel.random`, so nothing is sized from a file's claims.
    init(_ shape: [Int]) {
        self.shape = shape
        value = Tensor(shape: [0], data: [])
    }

    var scalar: Float { value.data[0] }
}

/// A node of the network's module tree. Property names are the checkpoint's key names, so
/// loading weights is a walk over the tree: `E.res1.conv_1.weight` is `E`, `res1`, `conv_1`, `weight`.
protocol Module: AnyObject {
    /// (key, child) pairs: `Parameter`s and `Module`s. By default the stored properties, by reflection;
    /// list-like modules (PyTorch `Sequential`/`ModuleList`) override it with their indices.
    var namedChildren: [(String, Any)] { get }
}

extension Module {
    var namedChildren: [(String, Any)] {
        Mirror(reflecting: self).children.compactMap { child in
            guard let label = child.label else { return nil }
            return (label, child.value)
        }
    }

    /// Visits every parameter with its full key, in tree order.
    func forEachParameter(prefix: String = "", _ body: (String, Parameter) throws -> Void) rethrows {
        for (name, child) in namedChildren {
            let key = prefix.isEmpty ? name : prefix + "." + name
            if let p = child as? Parameter {
                try body(key, p)
            } else if let m = child as? Module {
                try m.forEachParameter(prefix: key, body)
            }
        }
    }
}
