import Foundation

// SwiftPM generates `Bundle.module` for targets with resources; Fuzz/build.sh compiles
// KinecolorModel with plain swiftc, so it supplies this stand-in. No fuzz target loads
// the embedded default model.
extension Bundle {
    static let module = Bundle.main
}
