#include "vigil/http_client.h"

#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace vigil::cli {

namespace beast = boost::beast;
namespace http = beast::http;
using boost::asio::ip::tcp;

Result<HttpResult> http_request(const std::string& method, const std::string& url, const std::string& body,
                                std::chrono::milliseconds timeout) {
  const std::string prefix = "http://";
  if (url.rfind(prefix, 0) != 0) return make_error(ErrorCode::kInvalidInput, "only http:// URLs are supported: " + url);
  const auto slash = url.find('/', prefix.size());
  const std::string authority = url.substr(prefix.size(), slash - prefix.size());
  const std::string target = slash == std::string::npos ? "/" : url.substr(slash);
  const auto colon = authority.rfind(':');
  if (colon == std::string::npos) return make_error(ErrorCode::kInvalidInput, "URL needs host:port: " + url);

  boost::asio::io_context io;
  beast::tcp_stream stream(io);
  beast::error_code ec;
  tcp::resolver resolver(io);
  auto results = resolver.resolve(authority.substr(0, colon), authority.substr(colon + 1), ec);
  if (ec) return make_error(ErrorCode::kTransport, "cannot resolve " + authority + ": " + ec.message());
  stream.expires_after(timeout);
  HttpResult out;
  // Asynchronous operations run to completion here so that the deadline applies.
  stream.async_connect(results, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
  io.run();
  if (ec) {
    return make_error(ec == beast::error::timeout ? ErrorCode::kTimeout : ErrorCode::kTransport,
                      authority + ": " + ec.message());
  }
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, authority);
  req.set(http::field::content_type, "application/json");
  req.body() = body;
  req.prepare_payload();
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64u << 20);
  io.restart();
  http::async_write(stream, req, [&](beast::error_code e, std::size_t) {
    ec = e;
    if (!e) http::async_read(stream, buffer, parser, [&](beast::error_code e2, std::size_t) { ec = e2; });
  });
  io.run();
  if (ec) {
    return make_error(ec == beast::error::timeout ? ErrorCode::kTimeout : ErrorCode::kTransport,
                      authority + ": " + ec.message());
  }
  out.status = parser.get().result_int();
  out.body = parser.get().body();
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return out;
}

}  // namespace vigil::cli
