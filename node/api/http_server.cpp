#include "node/api/http_server.h"

#include <spdlog/spdlog.h>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace vigil::node {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

HttpServer::HttpServer(asio::io_context& io, ApiRouter& router, ApiSettings settings)
    : io_(io), router_(router), settings_(std::move(settings)), acceptor_(io) {}

Result<std::uint16_t> HttpServer::start() {
  const Endpoint& endpoint = settings_.listen;
  boost::system::error_code ec;
  tcp::resolver resolver(io_);
  auto results = resolver.resolve(endpoint.host, std::to_string(endpoint.port), ec);
  if (ec || results.empty()) {
    return make_error(ErrorCode::kTransport, "cannot resolve " + endpoint.to_string() + ": " + ec.message());
  }
  const tcp::endpoint ep = *results.begin();
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return make_error(ErrorCode::kTransport, "cannot listen on " + endpoint.to_string() + ": " + ec.message());
  asio::co_spawn(io_, accept_loop(), asio::detached);
  return acceptor_.local_endpoint().port();
}

void HttpServer::stop() {
  boost::system::error_code ec;
  acceptor_.close(ec);
}

asio::awaitable<void> HttpServer::accept_loop() {
  for (;;) {
    boost::system::error_code ec;
    tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
      spdlog::warn("api accept failed: {}", ec.message());
      continue;
    }
    if (connections_.load() >= settings_.max_connections) {
      spdlog::warn("api connection refused: {} connections open (limits.max_connections)", connections_.load());
      socket.close(ec);
      continue;
    }
    asio::co_spawn(io_, session(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> HttpServer::session(tcp::socket socket) {
  ++connections_;
  struct Release {
    std::atomic<std::size_t>& n;
    ~Release() { --n; }
  } release{connections_};

  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {
    boost::system::error_code ec;
    http::request_parser<http::string_body> parser;
    parser.body_limit(settings_.max_request_bytes);
    parser.header_limit(16 * 1024);
    stream.expires_after(settings_.read_timeout);
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::eof) break;

    HttpResponse out;
    bool keep_alive = false;
    if (ec == http::error::body_limit) {
      out = error_response(413, "too_large",
                           "request body exceeds " + std::to_string(settings_.max_request_bytes) + " bytes");
    } else if (ec) {
      out = error_response(400, "bad_request", "malformed HTTP request: " + ec.message());
    } else {
      const auto& req = parser.get();
      out = router_.handle(std::string_view(req.method_string().data(), req.method_string().size()),
                           std::string_view(req.target().data(), req.target().size()), req.body());
      keep_alive = req.keep_alive();
    }
    http::response<http::string_body> res{static_cast<http::status>(out.status), 11};
    res.set(http::field::server, "vigild");
    res.set(http::field::content_type, out.content_type);
    res.keep_alive(keep_alive);
    res.body() = std::move(out.body);
    res.prepare_payload();
    stream.expires_after(settings_.read_timeout);
    co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !keep_alive) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

}  // namespace vigil::node
