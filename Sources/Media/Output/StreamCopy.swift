import CFFmpeg
import Foundation

/// Copies the packets of the copied streams (audio, subtitles, data, timecode) from a second
/// demuxer of the input, packet for packet and byte for byte, re-expressed in the output
/// streams' time bases. Packets come out in file order, up to a time the muxer asks for, so
/// they interleave with the encoded video as frames arrive and nobody buffers the audio.
final class StreamCopy {
    /// Where one input stream goes.
    struct Target {
        var output: Int32
        var inputTimeBase: AVRational
        /// The output stream's time base, as the muxer settled it when writing the header.
        var outputTimeBase: AVRational
        /// Checked for packets that MP4/MOV drop before the first AC-3 sync word.
        var checkAC3Sync: Bool
        var stream: StreamDescription
    }

    /// The parts of the input to keep and how far each moves; nil copies everything unshifted.
    var excerpt: [ExcerptPart]? {
        didSet { excerpts = excerpt.map { parts in targets.mapValues { StreamExcerpt(parts, timeBase: Rational($0.inputTimeBase)) } } }
    }
    /// `excerpt` for each copied stream, by input stream index.
    private var excerpts: [Int32: StreamExcerpt]?
    /// Streams whose leading packets were dropped by the muxer, with the reason.
    private(set) var notes: [String] = []

    private let source: InputFile
    private let targets: [Int32: Target]
    private let containerExtension: String
    private let url: URL
    private var packet: UnsafeMutablePointer<AVPacket>?
    /// A packet already read and prepared that lies past the last limit, and its time base.
    private var pending = false
    private var pendingTimeBase = AVRational(num: 0, den: 1)
    private var ended = false
    /// AC-3 streams whose first packets are still being checked, with the count dropped so far.
    private var ac3Checks: [Int32: Int]

    init(source: InputFile, targets: [Int32: Target], containerExtension: String, url: URL) throws {
        self.source = source
        self.targets = targets
        self.containerExtension = containerExtension
        self.url = url
        ac3Checks = targets.filter { $0.value.checkAC3Sync }.mapValues { _ in 0 }
        guard let packet = av_packet_alloc() else { throw MediaError(.cannotCreate, url, "out of memory") }
        self.packet = packet
    }

    deinit { close() }

    func close() { av_packet_free(&packet) }

    /// Hands `write` the copied packets whose decode time is at most `limit` (all that remain
    /// when nil). `write` takes over the packet's reference.
    func copy(until limit: (time: Int64, timeBase: AVRational)?,
              write: (UnsafeMutablePointer<AVPacket>) throws -> Void) throws {
        guard let packet else { return }
        while !ended {
            if !pending {
                guard try readNext(packet) else { return }
            }
            if let limit {
                let time = packet.pointee.dts != noPTS ? packet.pointee.dts : packet.pointee.pts
                if time != noPTS && av_compare_ts(time, pendingTimeBase, limit.time, limit.timeBase) > 0 { return }
            }
            pending = false
            try write(packet)
        }
    }

    /// Reads the next packet to copy into `packet`, ready for the muxer; false at the end of the
    /// input. Sets `pending`.
    private func readNext(_ packet: UnsafeMutablePointer<AVPacket>) throws -> Bool {
        while true {
            guard let context = source.context else { ended = true; return false }
            let rc = av_read_frame(context, packet)
            if rc == averrorEOF { ended = true; return false }
            guard rc >= 0 else {
                throw MediaError(.writeFailed, url, "cannot read the streams to copy from the input (\(ffErrorText(rc)))")
            }
            guard let target = targets[packet.pointee.stream_index], keep(packet, target) else {
                av_packet_unref(packet)
                continue
            }
            checkAC3Sync(packet, target)
            packet.pointee.stream_index = target.output
            packet.pointee.pos = -1
            av_packet_rescale_ts(packet, target.inputTimeBase, target.outputTimeBase)
            pendingTimeBase = target.outputTimeBase
            pending = true
            return true
        }
    }

    /// Whether `packet` lies in a part of the excerpt; if so it is moved with its part.
    private func keep(_ packet: UnsafeMutablePointer<AVPacket>, _ target: Target) -> Bool {
        guard let excerpt = excerpts?[packet.pointee.stream_index] else { return true }
        let t = packet.pointee.pts != noPTS ? packet.pointee.pts : packet.pointee.dts
        guard let shift = excerpt.shift(forPacketAt: t == noPTS ? nil : t) else { return false }
        if packet.pointee.pts != noPTS { packet.pointee.pts -= shift }
        if packet.pointee.dts != noPTS { packet.pointee.dts -= shift }
        return true
    }

    /// movenc silently drops packets without an AC-3 sync word at the start of a track (a
    /// partial frame left by an earlier cut): count them, and say so once per stream.
    private func checkAC3Sync(_ packet: UnsafeMutablePointer<AVPacket>, _ target: Target) {
        let p = packet.pointee
        guard let dropped = ac3Checks[p.stream_index] else { return }
        if p.size >= 2 && p.data[0] == 0x0B && p.data[1] == 0x77 {
            ac3Checks[p.stream_index] = nil
            return
        }
        ac3Checks[p.stream_index] = dropped + 1
        if dropped == 0 {
            notes.append("\(target.stream): the .\(containerExtension) muxer drops "
                         + "packets before the first complete AC-3 frame (a partial frame, not playable); "
                         + "use .mkv to keep them")
        }
    }
}
