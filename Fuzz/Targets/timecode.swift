// User-given times (Sources/Files/Timecode.swift): `HH:MM:SS.mmm`, `MM:SS.s`, seconds, SMPTE labels.
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
    // Positions (`--at`): SMPTE labels too, resolved at a rate with drop-frame and one without.
    do {
        if case .smpte(let label) = try Timecode.parsePosition(text) {
            for fps in [25.0, 30000.0 / 1001] {
                do {
                    let frame = try label.frame(fps: fps)
                    precondition(frame >= 0, "negative frame for \(label)")
                } catch {
                    checkOneLine(error)
                }
            }
        }
    } catch {
        checkOneLine(error)
    }
    return 0
}
