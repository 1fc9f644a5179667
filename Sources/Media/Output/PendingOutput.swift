/// An output that leaves nothing behind unless it is finished: open until `finish` succeeds, and
/// any failure on the way, or `cancel()`, discards what was written, once. The writers of encoded
/// segments and image sequences share it.
protocol PendingOutput: AnyObject {
    var outputState: PendingOutputState { get set }
    /// Deletes what was written so far (a temporary file or folder).
    func discardOutput()
}

enum PendingOutputState { case open, finished, failed }

extension PendingOutput {
    /// Runs `body` while the output is open; if it throws, the output is discarded.
    func whileOpen<T>(closedError: @autoclosure () -> Error, _ body: () throws -> T) throws -> T {
        guard outputState == .open else { throw closedError() }
        do {
            return try body()
        } catch {
            outputState = .failed
            discardOutput()
            throw error
        }
    }

    /// Runs `body`, which completes the output; the output is finished if it returns.
    func finishing(closedError: @autoclosure () -> Error, _ body: () throws -> Void) throws {
        try whileOpen(closedError: closedError(), body)
        outputState = .finished
    }

    /// Discards the output unless it is finished or already discarded; safe to call twice.
    func cancelOutput() {
        guard outputState == .open else { return }
        outputState = .failed
        discardOutput()
    }
}
