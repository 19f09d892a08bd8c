// The default HttpTransport: Boost.Beast, used only inside this file, so
// that vigil/client.h exposes no Boost type.
#include "vigil/client.h"

#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace vigil::client {

namespace beast = boost::beast;
namespace http = beast::http;
using boost::asio::ip::tcp;

namespace {

// An idle keep-alive connection, with the io_context that drives it.
struct Connection {
  boost::asio::io_context io;
  beast::tcp_stream stream{io};
  beast::flat_buffer buffer;
};

// Idle connections by "host:port", so that a client making many requests to
// the same nodes does not pay a TCP handshake for each.
class ConnectionPool {
 public:
  std::unique_ptr<Connection> take(const std::string& authority) {
    std::lock_guard lock(mutex_);
    auto& list = idle_[authority];
    if (list.empty()) return nullptr;
    auto c = std::move(list.back());
    list.pop_back();
    return c;
  }
  void give_back(const std::string& authority, std::unique_ptr<Connection> c) {
    std::lock_guard lock(mutex_);
    auto& list = idle_[authority];
    if (list.size() < kMaxIdlePerAuthority) list.push_back(std::move(c));
  }

 private:
  static constexpr std::size_t kMaxIdlePerAuthority = 32;
  std::mutex mutex_;
  std::unordered_map<std::string, std::vector<std::unique_ptr<Connection>>> idle_;
};

Error transport_error(const beast::error_code& ec, const std::string& authority) {
  return make_error(ec == beast::error::timeout ? ErrorCode::kTimeout : ErrorCode::kTransport,
                    authority + ": " + ec.message());
}

// Runs the connection's pending operations to completion (or the deadline).
void run(Connection& c) {
  c.io.restart();
  c.io.run();
}

// Node API responses are small (a status lists one public share per node);
// anything larger is refused rather than buffered.
constexpr std::size_t kMaxResponseBytes = 4u << 20;

// Plain HTTP/1.1 with keep-alive: one blocking exchange per call, a
// deadline on the whole of it, pooled connections shared by all threads.
class BeastTransport final : public HttpTransport {
 public:
  Result<HttpResponse> request(std::string_view method, const std::string& url, const std::string& body,
                               std::chrono::milliseconds timeout) override;

 private:
  ConnectionPool pool_;
};

Result<HttpResponse> BeastTransport::request(std::string_view method, const std::string& url, const std::string& body,
                                             std::chrono::milliseconds timeout) {
  const std::string prefix = "http://";
  if (url.rfind(prefix, 0) != 0) return make_error(ErrorCode::kInvalidInput, "only http:// URLs are supported: " + url);
  const auto slash = url.find('/', prefix.size());
  const std::string authority = url.substr(prefix.size(), slash - prefix.size());
  const std::string target = slash == std::string::npos ? "/" : url.substr(slash);
  const auto colon = authority.rfind(':');
  if (colon == std::string::npos) return make_error(ErrorCode::kInvalidInput, "URL needs host:port: " + url);
  std::string host = authority.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);  // IPv6

  http::request<http::string_body> req{http::string_to_verb(std::string(method)), target, 11};
  req.set(http::field::host, authority);
  req.set(http::field::content_type, "application/json");
  req.keep_alive(true);
  req.body() = body;
  req.prepare_payload();

  // A pooled connection may have been closed by the server meanwhile: on a
  // failure before any response, retry once on a fresh connection.
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::unique_ptr<Connection> c = attempt == 0 ? pool_.take(authority) : nullptr;
    const bool reused = c != nullptr;
    beast::error_code ec;
    if (!c) {
      c = std::make_unique<Connection>();
      tcp::resolver resolver(c->io);
      auto results = resolver.resolve(host, authority.substr(colon + 1), ec);
      if (ec) return make_error(ErrorCode::kTransport, "cannot resolve " + authority + ": " + ec.message());
      c->stream.expires_after(timeout);
      c->stream.async_connect(results, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
      run(*c);
      if (ec) return transport_error(ec, authority);
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxResponseBytes);
    c->stream.expires_after(timeout);
    http::async_write(c->stream, req, [&](beast::error_code e, std::size_t) {
      ec = e;
      if (!e) http::async_read(c->stream, c->buffer, parser, [&](beast::error_code e2, std::size_t) { ec = e2; });
    });
    run(*c);
    if (ec) {
      if (reused && ec != beast::error::timeout) continue;
      return transport_error(ec, authority);
    }
    HttpResponse out{parser.get().result_int(), std::move(parser.get().body())};
    // Bytes beyond this response would be read as the next one's: such a
    // connection is not reused.
    if (parser.get().keep_alive() && c->buffer.size() == 0) pool_.give_back(authority, std::move(c));
    return out;
  }
  return make_error(ErrorCode::kTransport, authority + ": connection closed");
}

}  // namespace

std::unique_ptr<HttpTransport> make_http_transport() { return std::make_unique<BeastTransport>(); }

}  // namespace vigil::client
