// The websocket session of the stand-in's streams (Boost.Beast; included only by http_server.cpp
// and stream_session.cpp). The HTTP session hands over a connection whose request asked for a
// websocket upgrade to a stream's path (/stream, /v2/iex, /v2/sip); the protocol itself is the
// hub's (a WsHub: StreamHub or DataHub).
#pragma once

// Boost 1.74 asio needs <utility> first under C++20 on g++ 12 (deps-notes P-17).
#include <utility>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace axion::testing::alpaca {

class WsHub;

// Accepts the upgrade and serves the stream on the socket's executor (the io thread) until either
// side closes. The session registers with `hub` at once, so it counts as a stream connection from
// the moment the client's upgrade request has been read.
void start_stream_session(boost::asio::ip::tcp::socket socket,
                          boost::beast::http::request<boost::beast::http::string_body> upgrade,
                          WsHub& hub);
// The same over TLS: `stream` has completed its handshake (a wss:// connection).
void start_stream_session(boost::beast::ssl_stream<boost::beast::tcp_stream> stream,
                          boost::beast::http::request<boost::beast::http::string_body> upgrade,
                          WsHub& hub);

}  // namespace axion::testing::alpaca
