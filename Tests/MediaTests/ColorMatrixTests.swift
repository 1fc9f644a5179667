import KinecolorMedia
import XCTest

/// The one rule for the Y′CbCr matrix a stream is converted with: colorization and PNG previews
/// both use it, so a preview shows what a render writes.
final class ColorMatrixTests: XCTestCase {
    func testTaggedStreamsUseTheirOwnMatrix() {
        var sd = stream(720, 480)
        sd.colorMatrix = .bt709
        XCTAssertEqual(ColorMatrix.shown(sd), .bt709)
        var hd = stream(1920, 1080)
        hd.colorMatrix = .bt470bg
        XCTAssertEqual(ColorMatrix.shown(hd), .bt601)
        hd.colorMatrix = .bt2020nc
        XCTAssertEqual(ColorMatrix.shown(hd), .bt2020nc)
    }

    func testUntaggedStreamsFollowTheirHeightAsPlayersDo() {
        XCTAssertEqual(ColorMatrix.shown(stream(1280, 720)), .bt709)
        XCTAssertEqual(ColorMatrix.shown(stream(720, 576)), .bt601)
        var fcc = stream(640, 480)
        fcc.colorMatrix = ColorMatrix(rawValue: 4)  // FCC: not one Kinecolor converts with
        XCTAssertEqual(ColorMatrix.shown(fcc), .bt601)
    }

    private func stream(_ width: Int, _ height: Int) -> VideoStreamInfo {
        VideoStreamInfo(width: width, height: height, timeBase: Rational(1, 25), frameRate: Rational(25, 1))
    }

    func testLumaWeights() {
        XCTAssertEqual(ColorMatrix.bt601.lumaWeights.kr, 0.299)
        XCTAssertEqual(ColorMatrix.bt601.lumaWeights.kb, 0.114)
        XCTAssertEqual(ColorMatrix.bt709.lumaWeights.kr, 0.2126)
        XCTAssertEqual(ColorMatrix.bt709.lumaWeights.kb, 0.0722)
        XCTAssertEqual(ColorMatrix.bt2020nc.lumaWeights.kr, 0.2627)
        XCTAssertEqual(ColorMatrix.bt2020nc.lumaWeights.kb, 0.0593)
    }
}
