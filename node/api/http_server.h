// The client API's HTTP/1.1 server on Boost.Beast, one coroutine per
// connection: a deadline on every read, a body-size limit checked before the
// body is read, a cap on concurrent connections, keep-alive.
#pragma once

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange

#include <atomic>
#include <boost/asio.hpp>
#include <memory>

#include "node/api/router.h"
#include "node/config.h"

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
  boost::asio::awaitable<void> session(boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& io_;
  ApiRouter& router_;
  const ApiSettings settings_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::atomic<std::size_t> connections_{0};
};

}  // namespace vigil::node
