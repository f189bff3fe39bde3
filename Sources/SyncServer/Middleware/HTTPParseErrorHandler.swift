import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import SyncProtocol

/// Answers a request that is not valid HTTP/1.1 with `400 malformed_request` and a JSON ``ErrorBody``,
/// where Hummingbird would answer `400` with an empty body (README §7: every error has an `ErrorBody`).
///
/// Sits in the channel pipeline after the HTTP/1 decoder, where the decoder's `HTTPParserError`s arrive.
/// While a request is being handled (its head was read and no answer has been written), the error goes on
/// up to the request's body stream: the route fails reading the body and the ``ErrorMiddleware`` answers it.
/// An answer written before its request's body ended closes the connection once written: the server does not
/// wait for the rest of a body it will not read.
/// Between requests (a broken request line, header or `Content-Length`) there is no route to answer it, so
/// this handler writes the answer itself and closes the connection. After an answer was written but before
/// the request's body ended, the connection is closed without a second answer.
final class HTTPParseErrorHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// Where the connection is in its current exchange.
    private enum State {
        /// No request is open: the last one (if any) was read and answered.
        case idle
        /// A request head was read; `requestEnded`: its end too; `answered`: the answer's end was written.
        case open(requestEnded: Bool, answered: Bool)
    }

    private var state = State.idle
    private var closing = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (unwrapInboundIn(data), state) {
        case (.head, _):
            state = .open(requestEnded: false, answered: false)
        case (.end, .open(_, let answered)):
            state = answered ? .idle : .open(requestEnded: true, answered: false)
        default:
            break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), case .open(let requestEnded, _) = state {
            state = requestEnded ? .idle : .open(requestEnded: false, answered: true)
            if !requestEnded {
                // Answered before the body ended (401, 413, a route that reads no body): the rest of the body is
                // not waited for, so a client trickling it cannot hold the connection (README §10).
                let written = context.eventLoop.makePromise(of: Void.self)
                written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
                promise.map { written.futureResult.cascade(to: $0) }
                context.write(data, promise: written)
                return
            }
        }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parseError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        switch state {
        case .open(_, answered: false):
            // A route is handling the request: it fails reading the body and answers with an ErrorBody.
            context.fireErrorCaught(error)
        case .open(_, answered: true):
            context.close(promise: nil)
        case .idle:
            guard !closing else { return }
            closing = true
            answer(Self.message(for: parseError), context: context)
        }
    }

    /// Writes `400 malformed_request` with `message`, then closes the connection.
    private func answer(_ message: String, context: ChannelHandlerContext) {
        let body = ErrorBody(code: .malformedRequest, message: message, retryable: false)
        let data = (try? WireCoding.encode(body)) ?? Data(#"{"code":"malformed_request"}"#.utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        headers[.contentLength] = String(data.count)
        headers[.connection] = "close"
        context.write(wrapOutboundOut(.head(HTTPResponse(status: .badRequest, headerFields: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(ByteBuffer(bytes: data))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    /// What was wrong, for people and logs; never a byte of the request.
    static func message(for error: HTTPParserError) -> String {
        switch error {
        case .headerOverflow:
            "the request line or its headers are too long"
        case .invalidContentLength, .unexpectedContentLength:
            "the Content-Length header is invalid"
        case .invalidChunkSize:
            "the chunked body is malformed"
        case .invalidEOFState:
            "the request ended early"
        case .invalidMethod, .invalidURL, .invalidVersion, .invalidHost, .invalidPort, .invalidPath,
            .invalidQueryString, .invalidFragment:
            "the request line is not valid HTTP/1.1"
        default:
            "the request is not valid HTTP/1.1"
        }
    }
}
