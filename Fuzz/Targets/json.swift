// The strict JSON reader behind safetensors headers (Sources/Files/JSON.swift).
// Oracle: whatever parses must print (compactText) to text that parses back to the same value.
@testable import KinecolorFiles

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let value = try JSONParser.parse(bytes)
        _ = value.kindName
        _ = value.nonNegativeInt
        let again = try JSONParser.parse(Array(value.compactText.utf8))
        precondition(again == value, "compactText does not round-trip")
    } catch {
        checkOneLine(error)
    }
    return 0
}
