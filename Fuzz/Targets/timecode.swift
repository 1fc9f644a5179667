// User-given times (Sources/Files/Timecode.swift): `HH:MM:SS.mmm`, `MM:SS.s`, seconds.
// Whatever parses is formatted back, as the still commands do in their messages.
import KinecolorFiles

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        let seconds = try Timecode.parse(text)
        precondition(seconds.isFinite && seconds >= 0, "parse gave \(seconds)")
        _ = Timecode.format(seconds: seconds)
    } catch {
        checkOneLine(error)
    }
    return 0
}
