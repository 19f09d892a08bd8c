// The client API's HTTP/1.1 server on Boost.Beast, one coroutine per
// connection on its own strand: a deadline on every read, keep-alive, and
// connections held by source and shed when full
// (node/api/connection_table.h), so that a flood of idle or slow
// connections does not lock the API out. A body is read only once its
// Content-Length fits both the per-request cap and the budget for bodies in
// flight, all and this address's (node/source_budget.h); a body left
// unread is drained for a moment after the answer, so the client sees it.
// Health and metrics are answered on the I/O thread; every other request is
// handled on the work pool's client lane (node/work_pool.h), and answered
// 503 at once when that is full or this address holds its share of it, so a
// flood of expensive requests never delays a health check.
#pragma once

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <memory>

#include "node/api/connection_table.h"
#include "node/api/router.h"
#include "node/config.h"
#include "node/logging.h"
#include "node/source_budget.h"
#include "node/work_pool.h"

namespace vigil::node {

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, ApiRouter& router, WorkPool& pool, ApiSettings settings);

  // Binds settings.listen and starts accepting; returns the bound port
  // (useful with port 0).
  Result<std::uint16_t> start();
  // Stops accepting: the acceptor is closed on its own strand, so any
  // thread may call this.
  void stop();
  // Bytes of request bodies being read or handled now (for tests and metrics).
  std::size_t body_bytes_in_flight() const { return bodies_->held(); }

  // The request line and header fields together.
  static constexpr std::size_t kMaxRequestHeadBytes = 16 * 1024;

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> session(std::shared_ptr<boost::beast::tcp_stream> stream,
                                       std::unique_ptr<ConnectionTable::Slot> slot);
  void refused(const std::string& source, ConnectionTable::Refusal why);
  struct Answer {
    HttpResponse response;
    bool keep_alive = false;
    bool gone = false;              // the connection is gone or shed: nothing to answer
    bool head = false;              // a HEAD request: the answer goes without its body
    std::uint64_t unread_body = 0;  // bytes of the body left unread: linger() before closing
  };
  // The answer to the next request: its head read, its body read within the
  // budget, then handled inline or on the pool.
  boost::asio::awaitable<Answer> answer(boost::beast::tcp_stream& stream, boost::beast::flat_buffer& buffer,
                                        boost::beast::http::request_parser<boost::beast::http::string_body>& parser,
                                        ConnectionTable::Slot& slot);
  // After answering a request whose body was not read: the sending side
  // closed, up to `unread` bytes read and dropped for a short while.
  boost::asio::awaitable<void> linger(boost::beast::tcp_stream& stream, std::uint64_t unread);
  HttpResponse busy(const std::string& why);

  boost::asio::io_context& io_;
  ApiRouter& router_;
  WorkPool& pool_;
  const ApiSettings settings_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<ConnectionTable> connections_;
  std::shared_ptr<SourceBudget> bodies_;
  LogThrottle refusals_log_{std::chrono::seconds(10)};
  LogThrottle shed_log_{std::chrono::seconds(10)};
  LogThrottle accept_errors_log_{std::chrono::seconds(10)};
  LogThrottle busy_log_{std::chrono::seconds(10)};
};

}  // namespace vigil::node
