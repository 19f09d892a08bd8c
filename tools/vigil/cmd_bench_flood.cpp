// vigil bench flood: one node of a local cluster flooded with expensive
// requests (granted recoveries: a signature, a ciphertext proof, a share
// with its proof, a durable release) from many connections, while a watcher
// times the node's /healthz and another node reports its ping round trip to
// the flooded one. The node hands the flood to its bounded worker pool and
// answers the excess 503 busy, so health and peer pings should stay fast.
#include <utility>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <iomanip>
#include <thread>

#include "bench_stats.h"
#include "cli.h"
#include "client/node_api.h"
#include "cluster_file.h"
#include "http.h"
#include "keys.h"
#include "protected_client.h"

namespace vigil::cli {
namespace {

using Stopwatch = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct FloodCounts {
  std::atomic<std::uint64_t> granted{0}, busy{0}, refused{0}, failed{0};
};

// GET /healthz again and again on one keep-alive connection from its own
// loopback address (127.0.0.2), so that the node counts it apart from the
// flood, which holds 127.0.0.1's share of connections.
class HealthProbe {
 public:
  static Result<HealthProbe> connect(const std::string& api) {
    const auto colon = api.rfind(':');
    const auto start = api.find("//");
    if (colon == std::string::npos || start == std::string::npos) {
      return make_error(ErrorCode::kInvalidInput, "cannot read host:port in " + api);
    }
    HealthProbe probe;
    boost::system::error_code ec;
    auto& socket = probe.stream_->socket();
    const auto host = boost::asio::ip::make_address(api.substr(start + 2, colon - start - 2), ec);
    if (ec || !host.is_loopback() || !host.is_v4()) {
      return make_error(ErrorCode::kInvalidInput, "bench flood needs a local cluster on 127.0.0.1: " + api);
    }
    const auto port = static_cast<unsigned short>(std::stoul(api.substr(colon + 1)));
    socket.open(boost::asio::ip::tcp::v4(), ec);
    if (!ec) socket.bind({boost::asio::ip::make_address("127.0.0.2"), 0}, ec);
    if (!ec) socket.connect({host, port}, ec);
    if (ec) return make_error(ErrorCode::kTransport, "health probe to " + api + ": " + ec.message());
    return probe;
  }
  // How long one answer took (ms), or why there was none (200 only).
  Result<double> time_one() {
    namespace http = boost::beast::http;
    http::request<http::empty_body> request{http::verb::get, "/healthz", 11};
    request.set(http::field::host, "node");
    request.keep_alive(true);
    const auto t0 = Stopwatch::now();
    boost::system::error_code ec;
    stream_->expires_after(std::chrono::seconds(5));
    http::write(*stream_, request, ec);
    http::response<http::string_body> response;
    if (!ec) http::read(*stream_, buffer_, response, ec);
    if (ec) return make_error(ErrorCode::kTransport, ec.message());
    if (response.result_int() != 200) return make_error(ErrorCode::kTransport, std::to_string(response.result_int()));
    return std::chrono::duration<double, std::milli>(Stopwatch::now() - t0).count();
  }

 private:
  HealthProbe() : io_(std::make_unique<boost::asio::io_context>()) {
    stream_ = std::make_unique<boost::beast::tcp_stream>(*io_);
  }
  std::unique_ptr<boost::asio::io_context> io_;
  std::unique_ptr<boost::beast::tcp_stream> stream_;
  boost::beast::flat_buffer buffer_;
};

template <Curve C>
int run_flood(const ClusterFile& cluster, const Ed25519KeyPair& requester, std::size_t node_position,
              std::size_t connections, std::chrono::seconds duration) {
  SystemClock clock;
  auto vault = client::ClusterClient<C>::create(cluster.description, http(), system_rng(), clock);
  if (!vault) return fail("bench flood", vault.error());
  const auto& nodes = cluster.description.nodes;
  const client::NodeEndpoint& target = nodes[node_position];
  const client::NodeEndpoint& observer = nodes[(node_position + 1) % nodes.size()];
  const auto enclave = ed25519_generate(system_rng());
  auto protection = vault->protect(enclave, requester_only(enclave, requester.public_key), Bytes(32, 0x5a));
  if (!protection) return fail("bench flood", protection.error());

  std::cout << "vigil bench flood: node " << target.index << " of a " << cluster.description.threshold << "-of-"
            << nodes.size() << " " << C::kName << " cluster, " << connections << " connections sending granted\n"
            << "recoveries for " << duration.count() << " s; /healthz on node " << target.index
            << " every 20 ms, and node " << observer.index << "'s ping round trip to it\n"
            << std::flush;

  std::atomic<bool> stop{false};
  FloodCounts counts;
  std::vector<std::thread> flood;
  for (std::size_t i = 0; i < connections; ++i) {
    flood.emplace_back([&] {
      while (!stop.load()) {
        const X25519KeyPair response = x25519_generate(system_rng());
        auto request = vault->prepare_recovery(protection->key_id, response.public_key);
        request.sign(requester);
        auto answer = http_request("POST", target.api + "/v1/recoveries", client::recovery_request_to_json(request),
                                   milliseconds(10000));
        auto& counter = !answer                 ? counts.failed
                        : answer->status == 200 ? counts.granted
                        : answer->status == 503 ? counts.busy
                                                : counts.refused;
        counter.fetch_add(1);
      }
    });
  }

  std::vector<double> health_ms;
  std::size_t health_failures = 0;
  std::vector<double> round_trip_ms;
  std::size_t status_failures = 0;
  std::thread peers([&] {
    while (!stop.load()) {
      auto status = client::fetch_status(http(), observer.api, milliseconds(5000));
      if (!status) {
        ++status_failures;
      } else {
        for (const auto& p : status->peers()) {
          if (p.index() == target.index && p.has_round_trip_us()) {
            round_trip_ms.push_back(static_cast<double>(p.round_trip_us()) / 1000.0);
          }
        }
      }
      std::this_thread::sleep_for(milliseconds(250));
    }
  });
  auto probe = HealthProbe::connect(target.api);
  const auto start = Stopwatch::now();
  while (probe && Stopwatch::now() - start < duration) {
    if (auto ms = probe->time_one()) {
      health_ms.push_back(*ms);
    } else {
      ++health_failures;
      probe = HealthProbe::connect(target.api);
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
  stop = true;
  for (auto& t : flood) t.join();
  peers.join();
  const double seconds = std::chrono::duration<double>(Stopwatch::now() - start).count();

  if (!probe) std::cerr << "vigil bench flood: " << probe.error().message << "\n";
  const bool health_ok = probe && health_failures == 0 && percentile(health_ms, 0.99) < 50;
  const bool peers_ok = !round_trip_ms.empty() && percentile(round_trip_ms, 1.0) < 50;
  std::cout << std::fixed << std::setprecision(2) << "  flood: " << static_cast<double>(counts.granted.load()) / seconds
            << " granted/s, " << static_cast<double>(counts.busy.load()) / seconds << " answered 503 busy/s, "
            << counts.refused.load() << " other refusals, " << counts.failed.load() << " without an answer\n"
            << "  /healthz on node " << target.index << ": p50 " << percentile(health_ms, 0.5) << " ms   p99 "
            << percentile(health_ms, 0.99) << " ms   max " << percentile(health_ms, 1.0) << " ms   ("
            << health_ms.size() << " answered, " << health_failures << " failed)   (target p99 < 50 ms, none failed)\n"
            << "  ping round trip node " << observer.index << " -> " << target.index << ": p50 "
            << percentile(round_trip_ms, 0.5) << " ms   max " << percentile(round_trip_ms, 1.0) << " ms   ("
            << round_trip_ms.size() << " readings, " << status_failures << " status failures)   (target < 50 ms)\n";
  return health_ok && peers_ok ? kExitOk : kExitFailure;
}

}  // namespace

void register_bench_flood(CLI::App& bench, int& exit_code) {
  struct Options {
    std::string dir;
    std::size_t node = 1, connections = 32;
    unsigned seconds = 20;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = bench.add_subcommand(
      "flood",
      "Flood one node of a local cluster with granted recoveries from many connections, and report\n"
      "how fast its /healthz answers and its ping round trip to a peer meanwhile, beside the target\n"
      "(both under 50 ms), with the rates granted and turned away busy.");
  cmd->add_option("--dir", o->dir, "Local cluster folder (cluster.json)")->required()->check(CLI::ExistingDirectory);
  cmd->add_option("--node", o->node, "Index of the node to flood (default 1)");
  cmd->add_option(
         "--connections", o->connections,
         "Flooding connections, from 127.0.0.1 (default 32, one address's share: limits.max_connections_per_source)")
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--seconds", o->seconds, "How long to flood (default 20)")->check(CLI::Range(1u, 86400u));
  cmd->callback([o, &exit_code] {
    auto c = load_cluster(o->dir);
    if (!c) return void(exit_code = fail("bench flood", c.error(), kExitUsage));
    auto requester = load_requester_key(o->dir, *c, {});
    if (!requester) return void(exit_code = fail("bench flood", requester.error(), kExitUsage));
    const auto& nodes = c->description.nodes;
    const auto at = std::find_if(nodes.begin(), nodes.end(), [&](const auto& n) { return n.index == o->node; });
    if (at == nodes.end() || nodes.size() < 2) {
      return void(exit_code = fail("bench flood",
                                   make_error(ErrorCode::kInvalidInput, "--node " + std::to_string(o->node) +
                                                                            " is not one of at least two nodes"),
                                   kExitUsage));
    }
    exit_code = run_for_curve("bench flood", c->description.curve, [&](auto curve) {
      return run_flood<decltype(curve)>(*c, *requester, static_cast<std::size_t>(at - nodes.begin()), o->connections,
                                        std::chrono::seconds(o->seconds));
    });
  });
}

}  // namespace vigil::cli
