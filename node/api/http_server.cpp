#include "node/api/http_server.h"

#include <spdlog/spdlog.h>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace vigil::node {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

// The source a connection is counted against: an IPv4 address (also when it
// arrives IPv4-mapped on a dual-stack socket), or an IPv6 /64, which one
// host or site holds whole.
std::string source_of(const asio::ip::address& address) {
  if (address.is_v6()) {
    const auto v6 = address.to_v6();
    if (v6.is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_string();
    auto bytes = v6.to_bytes();
    std::fill(bytes.begin() + 8, bytes.end(), 0);
    return asio::ip::address_v6(bytes).to_string() + "/64";
  }
  return address.to_string();
}

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

HttpServer::HttpServer(asio::io_context& io, ApiRouter& router, WorkPool& pool, ApiSettings settings)
    : io_(io),
      router_(router),
      pool_(pool),
      settings_(std::move(settings)),
      acceptor_(asio::make_strand(io)),
      connections_(std::make_shared<ConnectionTable>(settings_.max_connections, settings_.max_connections_per_source)),
      // One address may hold a quarter of the budget, and at least one body of the largest size.
      bodies_(std::make_shared<SourceBudget>(
          settings_.max_request_bytes_in_flight,
          std::min(settings_.max_request_bytes_in_flight,
                   std::max(settings_.max_request_bytes_in_flight / 4, settings_.max_request_bytes)))) {}

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
  // The loop runs on the acceptor's strand, where stop() closes it: an
  // acceptor is not safe to close from another thread mid-accept.
  asio::co_spawn(acceptor_.get_executor(), accept_loop(), asio::detached);
  return acceptor_.local_endpoint().port();
}

void HttpServer::stop() {
  asio::post(acceptor_.get_executor(), [this] {
    boost::system::error_code ec;
    acceptor_.close(ec);
  });
}

asio::awaitable<void> HttpServer::accept_loop() {
  for (;;) {
    boost::system::error_code ec;
    auto strand = asio::make_strand(io_);
    tcp::socket socket = co_await acceptor_.async_accept(strand, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
      // Out of file descriptors, say: the connection stays queued, so pause
      // rather than spin, and say so once in a while.
      if (const auto held_back = accept_errors_log_.admit(std::chrono::steady_clock::now())) {
        spdlog::warn("api accept failed: {} ({} more since the last such line)", ec.message(), *held_back);
      }
      asio::steady_timer pause(io_, std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    // The address is read now: a refused peer may be gone by the time it is logged.
    const auto remote = socket.remote_endpoint(ec);
    const std::string source = ec ? "unknown" : source_of(remote.address());
    auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
    // Shedding closes the connection on its own strand, where its session runs.
    auto close = [strand, weak = std::weak_ptr<beast::tcp_stream>(stream)] {
      asio::post(strand, [weak] {
        if (auto s = weak.lock()) s->close();
      });
    };
    auto admission = connections_->admit(source, steady_ms(), std::move(close));
    if (!admission.slot) {
      refused(source, admission.refusal);
      stream->close();
      continue;
    }
    if (admission.shed) {
      if (const auto held_back = shed_log_.admit(std::chrono::steady_clock::now())) {
        spdlog::info(
            "api: closed a waiting connection to admit one from {} (limits.max_connections, "
            "max_connections_per_source); {} more since the last such line",
            source, *held_back);
      }
    }
    asio::co_spawn(strand, session(std::move(stream), std::move(admission.slot)), asio::detached);
  }
}

void HttpServer::refused(const std::string& source, ConnectionTable::Refusal why) {
  const auto held_back = refusals_log_.admit(std::chrono::steady_clock::now());
  if (!held_back) return;
  if (why == ConnectionTable::Refusal::kSourceFull) {
    spdlog::warn(
        "api: refused a connection from {}: its {} connections (limits.max_connections_per_source) are all "
        "serving requests; {} more refused since the last such line",
        source, settings_.max_connections_per_source, *held_back);
  } else {
    spdlog::warn(
        "api: refused a connection from {}: all {} connections are serving requests "
        "(limits.max_connections); {} more refused since the last such line",
        source, settings_.max_connections, *held_back);
  }
}

asio::awaitable<void> HttpServer::session(std::shared_ptr<beast::tcp_stream> stream,
                                          std::unique_ptr<ConnectionTable::Slot> slot) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(settings_.max_request_bytes);
    parser.header_limit(kMaxRequestHeadBytes);
    Answer answered = co_await answer(*stream, buffer, parser, *slot);
    if (answered.gone) break;
    HttpResponse& out = answered.response;
    http::response<http::string_body> res{static_cast<http::status>(out.status), 11};
    res.set(http::field::server, "vigild");
    res.set(http::field::content_type, out.content_type);
    if (out.retry_after_s != 0) res.set(http::field::retry_after, std::to_string(out.retry_after_s));
    res.keep_alive(answered.keep_alive);
    if (!answered.head) res.body() = std::move(out.body);
    res.prepare_payload();
    // Writing is waiting too: a client that never reads its response must
    // not hold an unsheddable connection.
    slot->waiting(steady_ms());
    stream->expires_after(settings_.read_timeout);
    boost::system::error_code ec;
    co_await http::async_write(*stream, res, asio::redirect_error(asio::use_awaitable, ec));
    if (!ec && answered.unread_body > 0) co_await linger(*stream, answered.unread_body);
    if (ec || !answered.keep_alive) break;
  }
  boost::system::error_code ignored;
  stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
}

asio::awaitable<void> HttpServer::linger(beast::tcp_stream& stream, std::uint64_t unread) {
  // Closing with the client's body still arriving would reset the
  // connection, and the client might never read the answer. So the sending
  // side is closed and what arrives is read and dropped, for a short while.
  boost::system::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.expires_after(std::min<std::chrono::milliseconds>(settings_.read_timeout, std::chrono::seconds(2)));
  std::array<char, 16384> sink{};
  while (!ec && unread > 0) {
    const std::size_t n =
        co_await stream.async_read_some(asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
    unread -= std::min<std::uint64_t>(unread, n);
  }
}

asio::awaitable<HttpServer::Answer> HttpServer::answer(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                                       http::request_parser<http::string_body>& parser,
                                                       ConnectionTable::Slot& slot) {
  auto ended = [&stream](const boost::system::error_code& ec) {
    // The client left, was too slow, or the connection was shed.
    return ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::eof ||
           !stream.socket().is_open();
  };
  Answer out;
  boost::system::error_code ec;
  stream.expires_after(settings_.read_timeout);
  co_await http::async_read_header(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (ended(ec)) {
    out.gone = true;
    co_return out;
  }
  // Until the body is read the connection is answered and closed: what
  // follows the head is unread. (A Content-Length over
  // limits.max_request_bytes fails the head already: body_limit, below.)
  std::optional<SourceBudget::Lease> lease;
  if (!ec) {
    const std::uint64_t length = parser.content_length().value_or(0);
    out.unread_body = length;
    if (parser.chunked()) {
      out.response = error_response(411, "length_required", "send the request body with a Content-Length");
      out.unread_body = settings_.max_request_bytes;
      co_return out;
    }
    auto taken = bodies_->take(slot.source(), static_cast<std::size_t>(length));
    if (!taken) {
      out.response = busy("the request bodies being read fill limits.max_request_bytes_in_flight (" +
                          std::to_string(bodies_->capacity()) + " bytes), or this address's share of it (" +
                          std::to_string(bodies_->per_source()) + " bytes)");
      co_return out;
    }
    lease.emplace(std::move(*taken));
    if (length > 0 && beast::iequals(parser.get()[http::field::expect], "100-continue")) {
      http::response<http::empty_body> go_on{http::status::continue_, 11};
      co_await http::async_write(stream, go_on, asio::redirect_error(asio::use_awaitable, ec));
    }
    // The body has a deadline of its own, from when it may be sent.
    stream.expires_after(settings_.read_timeout);
    if (!ec) co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ended(ec)) {
      out.gone = true;
      co_return out;
    }
    out.unread_body = 0;
  }
  if (!slot.serving()) {  // shed as the request arrived: its close is on the way
    out.gone = true;
    co_return out;
  }
  if (ec == http::error::body_limit) {
    out.response = error_response(413, "too_large",
                                  "request body exceeds " + std::to_string(settings_.max_request_bytes) + " bytes");
    // The head may have failed on its Content-Length: the parser holds no
    // length to read then (asking would be an error).
    out.unread_body = settings_.max_request_bytes;
    co_return out;
  }
  if (ec) {
    out.response = error_response(400, "bad_request", "malformed HTTP request: " + ec.message());
    co_return out;
  }

  auto& req = parser.get();
  out.keep_alive = req.keep_alive();
  out.head = req.method() == http::verb::head;
  if (out.head) out.keep_alive = false;  // answered without its body: no guessing where the next begins
  const std::string_view method(req.method_string().data(), req.method_string().size());
  const std::string_view target(req.target().data(), req.target().size());
  if (ApiRouter::answers_inline(method, target)) {
    out.response = router_.handle(method, target, req.body());
    co_return out;
  }
  // One address may hold a quarter of the work queue: a flood from one
  // source is turned away before it fills the queue for everyone.
  const std::size_t fair_share = std::max<std::size_t>(1, pool_.max_queued_client() / 4);
  if (!slot.start_work(fair_share)) {
    out.response = busy("this address has " + std::to_string(fair_share) +
                        " requests waiting for or on a worker already (a quarter of limits.max_queued_requests)");
    co_return out;
  }
  auto handled = co_await run_on(pool_, WorkPool::Lane::kClient, [&router = router_, method, target, &req] {
    return router.handle(method, target, req.body());
  });
  slot.end_work();
  out.response = handled ? std::move(*handled)
                         : busy(
                               "the node is at capacity: limits.max_queued_requests requests already wait for a "
                               "worker");
  co_return out;
}

HttpResponse HttpServer::busy(const std::string& why) {
  if (const auto held_back = busy_log_.admit(std::chrono::steady_clock::now())) {
    spdlog::warn("api: answered 503 busy: {}; {} more since the last such line", why, *held_back);
  }
  HttpResponse out = error_response(503, "busy", why + "; retry shortly");
  out.retry_after_s = 1;
  return out;
}

}  // namespace vigil::node
