import CFFmpeg
import Foundation
import KinecolorFiles

/// Writes one shot's frames encoded exactly as a `MediaWriter` of the film `final` encodes them
/// (encoder, settings, clock, where the codec headers go), as a file of bare packets that
/// `MediaWriter.append(segmentAt:)` later copies into the film without encoding again. Each
/// segment starts with a fresh encoder, so its first frame is a keyframe and none of its frames
/// refers to another segment's (a closed GOP): one shot can be encoded again alone.
///
/// The file is Kinecolor's own, not a container: NUT and Matroska recompute decode timestamps
/// and durations on reading, and joining needs them exactly as the encoder made them. Layout
/// (little-endian): the magic `KCPACKETS1`; the codec id, width, height (Int32); the time base
/// (Int32 numerator, denominator); the codec header's length (Int32) and bytes; then per packet
/// pts, dts, duration (Int64), flags and size (Int32) and the bytes.
public final class EncodedSegmentWriter: PendingOutput {
    public let url: URL
    public private(set) var framesWritten = 0
    private let encoder: VideoEncoder
    private var file: AtomicFileWriter
    var outputState = PendingOutputState.open

    public init(url: URL, of final: URL, video: VideoStreamInfo, options: EncodeOptions) throws {
        _ = quietFFmpegLog
        self.url = url
        let container = try Container(for: final)
        let settings = try EncoderSettings(options, video: video, container: container, url: final)
        encoder = try VideoEncoder(settings, options: options, video: video, globalHeader: container.wantsGlobalHeader, url: url)
        file = try AtomicFileWriter(url: url) { MediaError(.cannotCreate, url, $0) }
        guard let context = encoder.openedContext else { throw MediaError(.cannotCreate, url, "the encoder is closed") }
        do {
            try file.write(EncodedSegmentHeader(context).bytes)
        } catch {
            file.abandon()
            throw error
        }
    }

    deinit { cancelOutput() }

    /// Encodes one frame (as `MediaWriter.write`).
    public func write(_ frame: VideoFrame) throws {
        try whileOpen(closedError: closed) {
            try encoder.encode(frame, emit: store)
            framesWritten += 1
        }
    }

    /// Flushes the encoder and puts the file in place.
    public func finish() throws {
        try finishing(closedError: closed) {
            try encoder.finish(emit: store)
            encoder.close()
            try file.commit()
        }
    }

    /// Deletes the partial file; safe to call twice.
    public func cancel() { cancelOutput() }

    func discardOutput() {
        encoder.close()
        file.abandon()
    }

    private var closed: MediaError { MediaError(.writeFailed, url, "the segment is already closed") }

    private func store(_ packet: UnsafeMutablePointer<AVPacket>) throws {
        let p = packet.pointee
        var head = [UInt8]()
        head.reserveCapacity(32)
        for value in [p.pts, p.dts, p.duration] { head.appendLittleEndian(value) }
        head.appendLittleEndian(p.flags)
        head.appendLittleEndian(p.size)
        try file.write(head)
        if p.size > 0 { try file.write(UnsafeRawBufferPointer(start: p.data, count: Int(p.size))) }
    }
}

/// What a segment's packets were encoded as; a film joins only segments that match its encoder.
struct EncodedSegmentHeader: Equatable {
    static let magic = Array("KCPACKETS1".utf8)
    var codec: Int32
    var width: Int32
    var height: Int32
    var timeBase: AVRational
    var codecHeader: [UInt8]

    init(_ context: UnsafeMutablePointer<AVCodecContext>) {
        let c = context.pointee
        codec = Int32(bitPattern: c.codec_id.rawValue)
        width = c.width
        height = c.height
        timeBase = c.time_base
        codecHeader = c.extradata.map { Array(UnsafeBufferPointer(start: $0, count: Int(c.extradata_size))) } ?? []
    }

    static func == (a: Self, b: Self) -> Bool {
        (a.codec, a.width, a.height, a.timeBase.num, a.timeBase.den, a.codecHeader)
            == (b.codec, b.width, b.height, b.timeBase.num, b.timeBase.den, b.codecHeader)
    }

    var bytes: [UInt8] {
        var out = Self.magic
        for value in [codec, width, height, timeBase.num, timeBase.den, Int32(codecHeader.count)] { out.appendLittleEndian(value) }
        return out + codecHeader
    }

    /// Reads the header from the start of `reader`.
    init(reading reader: PacketFileReader) throws {
        guard try reader.bytes(Self.magic.count) == Self.magic else { throw reader.problem("is not an encoded segment") }
        codec = try reader.int32()
        width = try reader.int32()
        height = try reader.int32()
        timeBase = AVRational(num: try reader.int32(), den: try reader.int32())
        let length = try reader.int32()
        guard length >= 0, length < 1 << 20 else { throw reader.problem("has a codec header of \(length) bytes") }
        codecHeader = try reader.bytes(Int(length))
    }
}

/// Reads an encoded segment's file in order, a buffer at a time.
final class PacketFileReader {
    let url: URL
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var offset = 0

    init(_ url: URL) throws {
        self.url = url
        do {
            handle = try FileHandle(forReadingFrom: url)
        } catch {
            throw MediaError(.cannotOpen, url, "cannot open the segment (\(AtomicFile.reason(error)))")
        }
    }

    deinit { try? handle.close() }

    func problem(_ text: String) -> SegmentMismatch { SegmentMismatch(url: url, reason: text) }

    /// Whether the file has no bytes left.
    func atEnd() throws -> Bool {
        try fill(1)
        return offset >= buffer.count
    }

    func bytes(_ count: Int) throws -> [UInt8] {
        try fill(count)
        guard buffer.count - offset >= count else { throw problem("ends early (a partial file)") }
        defer { offset += count }
        return Array(buffer[offset..<offset + count])
    }

    func int32() throws -> Int32 { Int32(littleEndianBytes: try bytes(4)) }
    func int64() throws -> Int64 { Int64(littleEndianBytes: try bytes(8)) }

    func skip(_ count: Int) throws {
        var left = count
        while left > 0 {
            try fill(min(left, 1 << 20))
            let n = min(left, buffer.count - offset)
            guard n > 0 else { throw problem("ends early (a partial file)") }
            offset += n
            left -= n
        }
    }

    /// Copies `count` bytes into `destination`.
    func read(_ count: Int, into destination: UnsafeMutablePointer<UInt8>) throws {
        try fill(count)
        guard buffer.count - offset >= count else { throw problem("ends early (a partial file)") }
        buffer.withUnsafeBufferPointer { destination.update(from: $0.baseAddress! + offset, count: count) }
        offset += count
    }

    private func fill(_ count: Int) throws {
        guard buffer.count - offset < count else { return }
        buffer.removeFirst(offset)
        offset = 0
        while buffer.count < count {
            let chunk: Data?
            do {
                chunk = try handle.read(upToCount: max(1 << 20, count - buffer.count))
            } catch {
                throw MediaError(.decodeFailed, url, "cannot read the segment (\(AtomicFile.reason(error)))")
            }
            guard let chunk, !chunk.isEmpty else { return }
            buffer.append(contentsOf: chunk)
        }
    }
}

/// An encoded segment that cannot be joined into the film as it is: encoded with other
/// settings or another encoder build, damaged, or with timestamps that do not continue the
/// previous segment's. The caller encodes the film's frames instead.
public struct SegmentMismatch: Error, CustomStringConvertible {
    public let url: URL
    public let reason: String
    public var description: String { "\(url.lastPathComponent): \(reason)" }
}

extension Array where Element == UInt8 {
    fileprivate mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}

extension FixedWidthInteger {
    fileprivate init(littleEndianBytes bytes: [UInt8]) {
        var value: Self = 0
        for (i, byte) in bytes.enumerated() { value |= Self(truncatingIfNeeded: byte) << (8 * i) }
        self = value
    }
}
