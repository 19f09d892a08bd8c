// A quote from dstack's guest agent: HTTP over its unix socket, the
// documented POST /GetQuote with the report data in hex, answered with the
// quote in hex (docs/attestation.md). Boost.Beast stays inside this file.
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "vigil/client.h"
#include "vigil/dcap.h"

namespace vigil::client {

namespace beast = boost::beast;
namespace http = beast::http;
using boost::asio::local::stream_protocol;

Result<Bytes> dstack_get_quote(const std::string& socket_path, const std::array<std::uint8_t, 64>& report_data,
                               std::chrono::milliseconds timeout) {
  boost::asio::io_context io;
  beast::basic_stream<stream_protocol> stream(io);
  beast::error_code ec;
  const auto failed = [&](const char* step) {
    return make_error(ec == beast::error::timeout ? ErrorCode::kTimeout : ErrorCode::kTransport,
                      "dstack guest agent at " + socket_path + ": " + step + ": " + ec.message());
  };
  stream.expires_after(timeout);
  stream.async_connect(stream_protocol::endpoint(socket_path), [&](beast::error_code e) { ec = e; });
  io.run();
  if (ec) return failed("connect");

  http::request<http::string_body> req{http::verb::post, "/GetQuote", 11};
  req.set(http::field::host, "localhost");
  req.set(http::field::content_type, "application/json");  // otherwise the agent reads protobuf
  req.body() = nlohmann::json{{"report_data", to_hex(report_data)}}.dump();
  req.prepare_payload();
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(4 * dcap::kMaxQuoteBytes + 1024 * 1024);  // the quote in hex, and the event log
  io.restart();
  http::async_write(stream, req, [&](beast::error_code e, std::size_t) {
    ec = e;
    if (!e) http::async_read(stream, buffer, parser, [&](beast::error_code e2, std::size_t) { ec = e2; });
  });
  io.run();
  if (ec) return failed("GetQuote");

  const auto& res = parser.get();
  const nlohmann::json body = nlohmann::json::parse(res.body(), nullptr, false);
  if (res.result_int() != 200) {
    const std::string why = body.is_object() && body.contains("error") && body["error"].is_string()
                                ? body["error"].get<std::string>()
                                : "HTTP " + std::to_string(res.result_int());
    return make_error(ErrorCode::kTransport, "dstack guest agent refused GetQuote: " + why);
  }
  if (!body.is_object() || !body.contains("quote") || !body["quote"].is_string()) {
    return make_error(ErrorCode::kBadEncoding, "dstack guest agent: GetQuote answered without a quote");
  }
  auto quote = from_hex(body["quote"].get<std::string>());
  if (!quote || quote->size() > dcap::kMaxQuoteBytes) {
    return make_error(ErrorCode::kBadEncoding, "dstack guest agent: the quote is not hex of at most 64 KiB");
  }
  return quote;
}

}  // namespace vigil::client
