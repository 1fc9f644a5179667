import Foundation
import KinecolorEngine
import KinecolorMedia
import KinecolorModel

/// A labelled grid of candidate colorizations of one frame: one row per class, one column per seed.
public enum ContactSheet {
    /// Renders every (class, seed) candidate of `window` and lays them out with labels.
    /// `classProbabilities` are the shot's class-head probabilities, as the analysis or
    /// `Project.classProbabilities` gives them (nil: the model has no estimate).
    public static func render(window: FrameWindow, classes: [String]?, seeds: [UInt64]?, classProbabilities: [Float]?,
                              network: ChromaNetwork, options: ColorizeOptions, title: String,
                              progress: (any ProgressObserver)? = nil) throws -> (rgb: [UInt8], width: Int, height: Int) {
        let resolved = try rows(classes ?? [String(window.shot.classIndex)], classProbabilities: classProbabilities, network: network)
        let seedList = seeds ?? [window.shot.seed]
        progress?.begin(phase: "candidates", total: resolved.count * seedList.count, unit: "candidates")
        let matrix = ColorMatrix.shown(window.video)
        let cellWidth = min(window.video.width, 360)
        let cellHeight = max(1, Int((Double(window.video.height) * Double(cellWidth) / Double(window.video.width)).rounded()))
        let scale = 2, pad = 8, label = LabelFont.height * scale + 8, header = LabelFont.height * scale + 2 * pad
        let width = pad + seedList.count * (cellWidth + pad)
        let height = header + resolved.count * (label + cellHeight + pad)
        var canvas = [UInt8](repeating: 24, count: width * height * 3)
        let heading = fittedTitle(title, sheetWidth: width, pad: pad, scale: scale)
        LabelFont.draw(heading.text, into: &canvas, canvasWidth: width, canvasHeight: height, x: pad, y: pad,
                       scale: heading.scale, color: (235, 235, 235))
        for (row, cls) in resolved.enumerated() {
            for (col, seed) in seedList.enumerated() {
                var shot = window.shot
                shot.classIndex = cls.index
                shot.seed = seed
                let frame = try window.render(shot: shot, network: network, options: options)
                let thumb = shrink(try StillImage.rgb(frame, matrix: matrix), width: frame.width, height: frame.height,
                                   to: cellWidth, cellHeight)
                drawCell("\(cls.label) / seed \(seed)", thumb, into: &canvas, width: width, height: height,
                         x: pad + col * (cellWidth + pad), y: header + row * (label + cellHeight + pad),
                         cellWidth: cellWidth, cellHeight: cellHeight, labelHeight: label, scale: scale)
                try stopIfCancelled(progress)
                progress?.advance(to: row * seedList.count + col + 1)
            }
        }
        progress?.end()
        return (canvas, width, height)
    }

    /// Each row's label and class. `auto` is what `colorize --class auto` gives a shot with these
    /// probabilities (`ChromaNetwork.autoClass`, the model's threshold and fallback included).
    static func rows(_ classes: [String], classProbabilities: [Float]?, network: ChromaNetwork) throws -> [(label: String, index: Int)] {
        try classes.map { c in
            if c.lowercased() == "auto" {
                guard let p = classProbabilities else {
                    throw PipelineError("model '\(network.name)' cannot estimate classes; 'auto' is not available")
                }
                let auto = network.autoClass(p)
                return ("auto (\(network.classNames[auto]))", auto)
            }
            let i = try network.classIndex(c)
            return (network.classNames[i], i)
        }
    }

    /// A label with a thumbnail under it, top-left corner at (x, y).
    static func drawCell(_ text: String, _ thumb: [UInt8], into canvas: inout [UInt8], width: Int, height: Int,
                         x: Int, y: Int, cellWidth: Int, cellHeight: Int, labelHeight: Int, scale: Int) {
        LabelFont.draw(text, into: &canvas, canvasWidth: width, canvasHeight: height, x: x, y: y, scale: scale, color: (255, 220, 120))
        for row in 0..<cellHeight {
            let dst = ((y + labelHeight + row) * width + x) * 3
            for i in 0..<(cellWidth * 3) { canvas[dst + i] = thumb[row * cellWidth * 3 + i] }
        }
    }

    /// Area-averaged downscale of interleaved RGB.
    /// `frame` shrunk to `width` pixels wide (or kept, if narrower), as interleaved RGB for a PNG.
    public static func thumbnail(_ frame: VideoFrame, video: VideoStreamInfo, width: Int) throws -> (rgb: [UInt8], width: Int, height: Int) {
        let w = min(width, frame.width)
        let h = max(1, Int((Double(frame.height) * Double(w) / Double(frame.width)).rounded()))
        let rgb = try StillImage.rgb(frame, matrix: ColorMatrix.shown(video))
        return (shrink(rgb, width: frame.width, height: frame.height, to: w, h), w, h)
    }

    /// Packed RGB (a reference's picture) made at most `width` wide, its aspect kept.
    static func thumbnail(rgb: [UInt8], width: Int, height: Int, maxWidth: Int) -> (rgb: [UInt8], width: Int, height: Int) {
        let w = min(maxWidth, width)
        let h = max(1, Int((Double(height) * Double(w) / Double(width)).rounded()))
        return (shrink(rgb, width: width, height: height, to: w, h), w, h)
    }

    static func shrink(_ rgb: [UInt8], width: Int, height: Int, to w: Int, _ h: Int) -> [UInt8] {
        if w == width && h == height { return rgb }
        var planes = [Float](repeating: 0, count: 3 * width * height)
        for i in 0..<(width * height) { for c in 0..<3 { planes[c * width * height + i] = Float(rgb[i * 3 + c]) } }
        let small = resizeArea(Tensor(shape: [3, height, width], data: planes), height: h, width: w).data
        var out = [UInt8](repeating: 0, count: w * h * 3)
        for i in 0..<(w * h) { for c in 0..<3 { out[i * 3 + c] = UInt8(min(max(small[c * w * h + i].rounded(), 0), 255)) } }
        return out
    }
}

extension ContactSheet {
    /// A page of an overview: one colorized thumbnail per shot (normally its middle frame),
    /// labelled with the shot's number, class and seed, `columns` to a row, under a title. A film
    /// of thousands of shots gets several pages (`kinecolor sheet`), so that the pages, not the
    /// film, set the memory a sheet needs.
    public struct Overview {
        public let columns: Int
        public let cellWidth: Int
        public let cellHeight: Int
        let matrix: ColorMatrix
        let scale = 2, pad = 8
        var label: Int { LabelFont.height * scale + 8 }
        var header: Int { LabelFont.height * scale + 2 * pad }

        public init(video: VideoStreamInfo, columns: Int) {
            self.columns = max(1, columns)
            cellWidth = min(video.width, 320)
            cellHeight = max(1, Int((Double(video.height) * Double(cellWidth) / Double(video.width)).rounded()))
            matrix = ColorMatrix.shown(video)
        }

        /// A blank page for `cells` thumbnails (fewer than `columns` make a narrower page), titled.
        public func page(cells: Int, title: String) -> (rgb: [UInt8], width: Int, height: Int) {
            let cols = max(1, min(columns, cells)), rows = (max(1, cells) + cols - 1) / cols
            let width = pad + cols * (cellWidth + pad)
            let height = header + rows * (label + cellHeight + pad)
            var canvas = [UInt8](repeating: 24, count: width * height * 3)
            let heading = ContactSheet.fittedTitle(title, sheetWidth: width, pad: pad, scale: scale)
            LabelFont.draw(heading.text, into: &canvas, canvasWidth: width, canvasHeight: height, x: pad, y: pad,
                           scale: heading.scale, color: (235, 235, 235))
            return (canvas, width, height)
        }

        /// Renders the window's frame as its shot will look and draws it into cell `cell` of `page`.
        public func draw(_ window: FrameWindow, cell: Int, on page: inout (rgb: [UInt8], width: Int, height: Int),
                         network: ChromaNetwork, options: ColorizeOptions) throws {
            let cols = (page.width - pad) / (cellWidth + pad)
            let frame = try window.render(shot: window.shot, network: network, options: options)
            let thumb = ContactSheet.shrink(try StillImage.rgb(frame, matrix: matrix), width: frame.width, height: frame.height, to: cellWidth, cellHeight)
            let s = window.shot
            let text = "\(s.index + 1) " + (s.skip ? "skip" : "\(network.classNames[s.classIndex]) s\(s.seed)")
            ContactSheet.drawCell(text, thumb, into: &page.rgb, width: page.width, height: page.height,
                     x: pad + (cell % cols) * (cellWidth + pad), y: header + (cell / cols) * (label + cellHeight + pad),
                     cellWidth: cellWidth, cellHeight: cellHeight, labelHeight: label, scale: scale)
        }
    }
}

extension ContactSheet {
    /// The title at `scale`, or smaller when a long file name would run past the sheet's right
    /// edge (a one-column sheet is 376 pixels wide); if even the smallest size is too wide, the
    /// middle goes, keeping the end (frame, time, shot) and the start of the file name.
    static func fittedTitle(_ title: String, sheetWidth: Int, pad: Int, scale: Int) -> (text: String, scale: Int) {
        let room = sheetWidth - 2 * pad
        for s in stride(from: scale, to: 0, by: -1) where title.count * (LabelFont.width + 1) * s <= room {
            return (title, s)
        }
        let fit = max(0, room / (LabelFont.width + 1))
        guard fit > 4 else { return (String(title.prefix(fit)), 1) }
        let tail = min(32, (fit - 2) / 2 + (fit - 2) / 4)
        return (String(title.prefix(fit - 2 - tail)) + ".." + String(title.suffix(tail)), 1)
    }
}
