import CFFmpeg
import Foundation

/// Stream listings for CLI messages, and packet digests to prove a stream was copied intact.
public enum MediaProbe {
    /// The FFmpeg libraries' versions, for the names of files whose bytes depend on them.
    public static var libraryVersions: String {
        "avcodec \(avcodec_version()) avformat \(avformat_version()) " + String(cString: av_version_info())
    }

    /// Every stream of the file, in file order.
    public static func streams(of url: URL) throws -> [StreamDescription] {
        let ctx = try openInput(url)
        var c: UnsafeMutablePointer<AVFormatContext>? = ctx
        defer { avformat_close_input(&c) }
        return ctx.streamList.map(StreamDescription.init)
    }

    /// A few lines for humans: container and duration, then one line per stream and the
    /// chapter count.
    public static func describe(_ url: URL) throws -> String {
        let ctx = try openInput(url)
        var c: UnsafeMutablePointer<AVFormatContext>? = ctx
        defer { avformat_close_input(&c) }
        let container = String(cString: ctx.pointee.iformat.pointee.name)
        var lines = [url.lastPathComponent + ": " + container]
        if ctx.pointee.duration != noPTS && ctx.pointee.duration > 0 {
            lines[0] += ", " + formatTimestamp(seconds: Double(ctx.pointee.duration) / Double(AV_TIME_BASE))
        }
        lines += ctx.streamList.map { "  " + StreamDescription($0).description }
        if ctx.pointee.nb_chapters > 0 { lines.append("  \(ctx.pointee.nb_chapters) chapters") }
        return lines.joined(separator: "\n")
    }

    /// Count and MD5 of the packet payloads of each stream of the given kinds, in file order.
    /// Two files whose digests match carry byte-identical packets; for a file with one audio
    /// stream `md5` equals what `ffmpeg -i FILE -map 0:a -c copy -f md5 -` prints.
    public static func packetDigests(of url: URL, kinds: Set<StreamKind> = [.audio, .subtitle]) throws -> [PacketDigest] {
        let ctx = try openInput(url)
        var c: UnsafeMutablePointer<AVFormatContext>? = ctx
        defer { avformat_close_input(&c) }
        var digests: [Int32: Digester] = [:]
        var order: [Int32] = []
        for st in ctx.streamList {
            let d = StreamDescription(st)
            if kinds.contains(d.kind) {
                digests[st.pointee.index] = Digester(d, timeBase: st.pointee.time_base)
                order.append(st.pointee.index)
            } else {
                st.pointee.discard = AVDISCARD_ALL
            }
        }
        guard let packet = av_packet_alloc() else { throw MediaError(.cannotOpen, url, "out of memory") }
        defer { var p: UnsafeMutablePointer<AVPacket>? = packet; av_packet_free(&p) }
        while true {
            let rc = av_read_frame(ctx, packet)
            if rc == averrorEOF { break }
            if rc < 0 { throw MediaError(.decodeFailed, url, "cannot read packets (\(ffErrorText(rc)))") }
            digests[packet.pointee.stream_index]?.add(packet.pointee)
            av_packet_unref(packet)
        }
        return order.compactMap { digests[$0]?.result() }
    }
}

/// What `MediaProbe.packetDigests` reports for one stream.
public struct PacketDigest: Sendable, Equatable {
    public let stream: StreamDescription
    public let packetCount: Int
    public let byteCount: Int
    /// Hex MD5 of all payloads concatenated in file order.
    public let md5: String
    /// Presentation time of each packet in seconds (nil entries where the container has none).
    public let presentationTimes: [Double?]
}

private final class Digester {
    let stream: StreamDescription
    let timeBase: AVRational
    var md5: OpaquePointer?
    var count = 0, bytes = 0
    var times: [Double?] = []

    init(_ stream: StreamDescription, timeBase: AVRational) {
        self.stream = stream
        self.timeBase = timeBase
        md5 = av_md5_alloc()
        av_md5_init(md5)
    }

    deinit { av_free(UnsafeMutableRawPointer(md5)) }

    func add(_ packet: AVPacket) {
        if packet.size > 0 { av_md5_update(md5, packet.data, Int(packet.size)) }
        count += 1
        bytes += Int(packet.size)
        times.append(packet.pts == noPTS ? nil : Double(packet.pts) * av_q2d(timeBase))
    }

    func result() -> PacketDigest {
        var sum = [UInt8](repeating: 0, count: 16)
        av_md5_final(md5, &sum)
        return PacketDigest(stream: stream, packetCount: count, byteCount: bytes,
                            md5: sum.map { String(format: "%02x", $0) }.joined(), presentationTimes: times)
    }
}
