import NIOHTTPTypes
import NIOCore

/// Holds back a close of the connection until every response byte written before it has reached the
/// socket. Hummingbird closes a connection right after writing the end of its last response when the
/// server shuts down (SIGTERM) or the connection is to be closed; a close in NIO fails the writes still
/// waiting for the socket to drain, so a large response (megabytes, to a client reading slowly) was cut
/// off while the server exited 0. Sits in the pipeline between the HTTP codec and Hummingbird's
/// connection-state handler, whose close passes through here. A client that stops reading altogether
/// is closed after `patience`.
final class DrainBeforeCloseHandler: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let patience: TimeAmount
    private var pendingWrites = 0
    /// Promises of the full closes held back until the writes drain (Hummingbird's and the async
    /// channel's may both arrive).
    private var heldCloses: [EventLoopPromise<Void>?] = []

    init(patience: TimeAmount) { self.patience = patience }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        pendingWrites += 1
        let written = context.eventLoop.makePromise(of: Void.self)
        // Write promises complete on this connection's event loop, as does everything in this handler.
        written.futureResult.assumeIsolated().whenComplete { [self] result in
            pendingWrites -= 1
            promise?.completeWith(result)
            if pendingWrites == 0 { releaseCloses(context) }
        }
        context.write(data, promise: written)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode == .all, pendingWrites > 0 else {
            context.close(mode: mode, promise: promise)
            return
        }
        heldCloses.append(promise)
        guard heldCloses.count == 1 else { return }
        context.flush()
        context.eventLoop.assumeIsolated().scheduleTask(in: patience) { [self] in releaseCloses(context) }
    }

    private func releaseCloses(_ context: ChannelHandlerContext) {
        guard !heldCloses.isEmpty else { return }
        let promises = heldCloses
        heldCloses = []
        let closed = context.eventLoop.makePromise(of: Void.self)
        for promise in promises { promise.map { closed.futureResult.cascade(to: $0) } }
        context.close(mode: .all, promise: closed)
    }
}
