#include "support/dstack_stand_in.h"

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

namespace vigil::test {

namespace beast = boost::beast;
namespace http = beast::http;
using boost::asio::local::stream_protocol;

struct DstackStandIn::Server {
  boost::asio::io_context io;
  stream_protocol::acceptor acceptor{io};
};

namespace {

http::response<http::string_body> answer(const http::request<http::string_body>& req,
                                         const DstackStandIn::QuoteFor& quote_for) {
  const auto reply = [&](http::status status, const nlohmann::json& body) {
    http::response<http::string_body> res{status, req.version()};
    res.set(http::field::content_type, "application/json");
    res.body() = body.dump();
    res.prepare_payload();
    return res;
  };
  if (req.target() != "/GetQuote" || req.method() != http::verb::post) {
    return reply(http::status::bad_request, {{"error", "unknown method"}});
  }
  if (req[http::field::content_type] != "application/json") {
    return reply(http::status::bad_request, {{"error", "protobuf body expected"}});
  }
  const auto body = nlohmann::json::parse(req.body(), nullptr, false);
  const auto hex = body.is_object() && body.contains("report_data") && body["report_data"].is_string()
                       ? from_hex(body["report_data"].get<std::string>())
                       : Result<Bytes>(make_error(ErrorCode::kBadEncoding, ""));
  if (!hex) return reply(http::status::bad_request, {{"error", "invalid report_data"}});
  if (hex->size() > 64) return reply(http::status::bad_request, {{"error", "Report data is too long"}});
  std::array<std::uint8_t, 64> report_data{};  // zero-padded on the right, as the agent does
  std::copy(hex->begin(), hex->end(), report_data.begin());
  const Bytes quote = quote_for(report_data);
  return reply(
      http::status::ok,
      {{"quote", to_hex(quote)}, {"event_log", "[]"}, {"report_data", to_hex(report_data)}, {"vm_config", "{}"}});
}

}  // namespace

DstackStandIn::DstackStandIn(std::filesystem::path socket, QuoteFor quote_for)
    : socket_(std::move(socket)), server_(std::make_unique<Server>()) {
  std::filesystem::remove(socket_);
  server_->acceptor.open(stream_protocol());
  server_->acceptor.bind(stream_protocol::endpoint(socket_.string()));
  server_->acceptor.listen();
  thread_ = std::thread([this, quote_for = std::move(quote_for)] {
    for (;;) {
      stream_protocol::socket peer(server_->io);
      beast::error_code ec;
      server_->acceptor.accept(peer, ec);
      if (ec) return;  // closed: stopping
      beast::flat_buffer buffer;
      http::request<http::string_body> req;
      http::read(peer, buffer, req, ec);
      if (ec) continue;
      ++requests_;
      http::write(peer, answer(req, quote_for), ec);
      peer.shutdown(stream_protocol::socket::shutdown_both, ec);
    }
  });
}

DstackStandIn::~DstackStandIn() {
  beast::error_code ec;
  // Unblocks the accept: shutdown on the listening socket, then close.
  ::shutdown(server_->acceptor.native_handle(), SHUT_RDWR);
  thread_.join();
  server_->acceptor.close(ec);
  std::filesystem::remove(socket_);
}

}  // namespace vigil::test
