// NumPy .npy reader (Sources/Model/IO/NPY.swift): magic, version, header length, the Python
// dict literal, descr/fortran_order/shape, and the data size.
import KinecolorModel

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    withScratchFile(data, size, fileName: "array.npy") { url in
        do {
            let t = try NPY.read(url)
            precondition(t.shape.reduce(1, *) == t.count, "tensor count differs from its shape")
        } catch {
            checkOneLine(error)
        }
    }
    return 0
}
