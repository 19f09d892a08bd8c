// The node's client API as a client reaches it: raw bytes into Boost.Beast's
// request parser with the server's limits, then the router, over one node
// with a real store (on /dev/shm), a dealt key and a fixed clock. Every
// response is JSON that a client can parse (valid UTF-8 included), or the
// plain text of /healthz and /metrics.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <unistd.h>

#include <boost/beast/http.hpp>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "fuzz/quiet_protobuf.h"
#include "node/api/router.h"
#include "node/release/decryption_service.h"
#include "node/release/node_key.h"
#include "vigil/dealer.h"
#include "vigil/v1/node.pb.h"

namespace {

namespace http = boost::beast::http;

class FixedClock final : public vigil::Clock {
 public:
  std::int64_t now_unix_ms() const override { return 1'700'000'000'000; }
};

// One node, built once per process: what every input is sent to.
struct Node {
  Node() : dir(std::filesystem::path("/dev/shm") / ("vigil-fuzz-api-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    config.index = 1;
    config.data_dir = dir;
    identity = vigil::ed25519_generate(rng);
    store = vigil::node::Store::open(dir / "node.db", vigil::SecretBytes(32)).value();
    service = std::make_unique<vigil::node::DecryptionService>(config.service(), *store, clock, rng, identity);
    auto dealt = vigil::deal<vigil::Ristretto255>(rng, 3, 2).value();
    const auto& share = dealt.shares[0];
    if (!service
             ->import_key(vigil::node::make_key_record<vigil::Ristretto255>(1, dealt.commitment, dealt.public_shares(),
                                                                            {share.index, share.secret_share.clone()}))
             .ok()) {
      std::abort();
    }
    router = std::make_unique<vigil::node::ApiRouter>(*service, metrics);
    std::atexit([] { std::filesystem::remove_all(instance().dir); });
  }

  static Node& instance() {
    static Node node;
    return node;
  }

  std::filesystem::path dir;
  vigil::SeededRng rng{42};
  FixedClock clock;
  vigil::node::NodeConfig config;
  vigil::Ed25519KeyPair identity;
  std::unique_ptr<vigil::node::Store> store;
  vigil::node::Metrics metrics;
  std::unique_ptr<vigil::node::DecryptionService> service;
  std::unique_ptr<vigil::node::ApiRouter> router;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Node& node = Node::instance();
  http::request_parser<http::string_body> parser;
  parser.body_limit(1u << 20);
  parser.header_limit(16 * 1024);
  boost::system::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (!ec && !parser.is_done()) parser.put_eof(ec);
  if (ec || !parser.is_done()) return 0;
  const auto& request = parser.get();
  const auto response =
      node.router->handle(std::string_view(request.method_string().data(), request.method_string().size()),
                          std::string_view(request.target().data(), request.target().size()), request.body());
  if (response.content_type == "application/json") {
    google::protobuf::Struct any;
    if (!google::protobuf::util::JsonStringToMessage(response.body, &any).ok()) std::abort();
  }
  return 0;
}
