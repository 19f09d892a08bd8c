// The client API's HTTP/1.1 server on Boost.Beast, one coroutine per
// connection on its own strand: a deadline on every read, a body-size limit
// checked before the body is read, keep-alive, and connections held by
// source and shed when full (node/api/connection_table.h), so that a flood
// of idle or slow connections does not lock the API out.
#pragma once

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <memory>

#include "node/api/connection_table.h"
#include "node/api/router.h"
#include "node/config.h"
#include "node/logging.h"

namespace vigil::node {

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, ApiRouter& router, ApiSettings settings);

  // Binds settings.listen and starts accepting; returns the bound port
  // (useful with port 0).
  Result<std::uint16_t> start();
  void stop();

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> session(std::shared_ptr<boost::beast::tcp_stream> stream,
                                       std::unique_ptr<ConnectionTable::Slot> slot);
  void refused(const std::string& source, ConnectionTable::Refusal why);

  boost::asio::io_context& io_;
  ApiRouter& router_;
  const ApiSettings settings_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<ConnectionTable> connections_;
  LogThrottle refusals_log_{std::chrono::seconds(10)};
  LogThrottle shed_log_{std::chrono::seconds(10)};
  LogThrottle accept_errors_log_{std::chrono::seconds(10)};
};

}  // namespace vigil::node
