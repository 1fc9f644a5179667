/// One kept part of an excerpt: input times [start, end) in seconds, written `shift` seconds earlier.
public struct ExcerptPart: Sendable, Equatable {
    public var start: Double
    public var end: Double
    public var shift: Double
    public init(start: Double, end: Double, shift: Double) {
        self.start = start
        self.end = end
        self.shift = shift
    }
}
