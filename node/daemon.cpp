// vigild's life: its configuration read, its folder locked, its state
// opened, the peer links, the work pool, the client API and the periodic
// work started, and all of it stopped in order on SIGINT or SIGTERM.
// node/main.cpp (vigild) and the test build (vigild-test) share it.
#include "node/daemon.h"

#include <utility>

#include <malloc.h>
#include <spdlog/spdlog.h>
#include <boost/asio/signal_set.hpp>

#include <cassert>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include "node/api/http_server.h"
#include "node/ceremony/manager.h"
#include "node/config.h"
#include "node/gossip/gossip.h"
#include "node/identity.h"
#include "node/logging.h"
#include "node/peers/transport.h"
#include "node/release/attestation.h"
#include "node/release/decryption_service.h"
#include "node/work_pool.h"

namespace vigil::node {
namespace {

// Runs `work` now and then every `interval` on `io`, until cancel(); with
// `jitter` (a fraction), each wait is drawn within interval * (1 ± jitter),
// so that nodes started together do not keep doing it at the same moment.
class Repeating {
 public:
  Repeating(boost::asio::io_context& io, std::chrono::steady_clock::duration interval, std::function<void()> work,
            double jitter = 0)
      : timer_(io), interval_(interval), work_(std::move(work)), jitter_(-jitter, jitter) {
    assert(jitter >= 0 && jitter < 1);  // a wait of zero or less would spin
    run();
  }
  void cancel() { timer_.cancel(); }

 private:
  void run() {
    work_();
    const auto wait =
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(interval_ * (1 + jitter_(random_)));
    timer_.expires_after(wait);
    timer_.async_wait([this](const boost::system::error_code& e) {
      if (!e) run();
    });
  }
  boost::asio::steady_timer timer_;
  std::chrono::steady_clock::duration interval_;
  std::function<void()> work_;
  std::uniform_real_distribution<double> jitter_;
  std::minstd_rand random_{std::random_device{}()};  // spreads timers; nothing secret
};

// The system clock, moved by a fixed offset (zero but in vigild-test).
class OffsetClock final : public Clock {
 public:
  explicit OffsetClock(std::int64_t offset_ms) : offset_ms_(offset_ms) {}
  std::int64_t now_unix_ms() const override { return system_.now_unix_ms() + offset_ms_; }

 private:
  SystemClock system_;
  std::int64_t offset_ms_;
};

}  // namespace

int run_node(const std::string& config_path, const std::string& log_format, const TestHooks& hooks) {
  auto config = load_node_config(config_path);
  if (!config) {
    std::fprintf(stderr, "vigild: %s\n", config.error().message.c_str());
    return 2;
  }
  if (!log_format.empty()) config->log_format = log_format;
  init_logging(config->log_format, config->log_level, config->index);
  auto fail = [](const std::string& what, const Error& e) {
    spdlog::critical("{}: {}", what, e.message);
    return 1;
  };
  std::optional<Bytes> test_root;
  if (!config->attestation_test_root.empty()) {
    if (!hooks.trust_test_root) {
      return fail("attestation.test_root_ca",
                  make_error(ErrorCode::kInvalidInput,
                             "refused: vigild trusts only the Intel SGX Root CA; a test root is for vigild-test, "
                             "built with the tests and never installed"));
    }
    std::ifstream in(config->attestation_test_root, std::ios::binary);
    if (!in) return fail("attestation.test_root_ca", make_error(ErrorCode::kInvalidInput, "cannot read it"));
    test_root.emplace(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    spdlog::warn("attestation: trusting the TEST root {} beside Intel's: this is vigild-test, never for production",
                 config->attestation_test_root.string());
  }
  std::error_code ec;
  std::filesystem::create_directories(config->data_dir, ec);
  // Held until exit: no second vigild, key rotation or import on this folder meanwhile.
  auto folder_lock = DataDirLock::acquire(config->data_dir);
  if (!folder_lock) return fail("data folder", folder_lock.error());
  auto identity = load_identity(config->data_dir);
  if (!identity) return fail("identity", identity.error());
  auto master = load_master_key(config->data_dir);
  if (!master) return fail("master key", master.error());
  auto store = Store::open(config->data_dir / "vigil.db", std::move(master).value());
  if (!store) return fail("storage", store.error());

  const OffsetClock clock(hooks.clock_offset_ms);
  if (hooks.clock_offset_ms != 0) {
    spdlog::warn("clock: running {} ms off the system clock: this is vigild-test, never for production",
                 hooks.clock_offset_ms);
  }
  DecryptionService service(config->service(), **store, clock, system_rng(), *identity);
  if (auto s = service.load_key(); !s) return fail("key", s.error());
  if (!service.has_key()) spdlog::warn("no key share yet: serving status only until a DKG or an import");
  // Collateral for attested recovery: <data folder>/collateral/*.json,
  // loaded at once and again every minute as operators refresh the files.
  AttestationVerifier attestation(config->data_dir / "collateral", test_root);
  service.set_attestation(&attestation);
  Metrics metrics;
  ApiRouter router(service, metrics);

  boost::asio::io_context io;
  // CPU-heavy work, and whatever waits on the database, runs here off the
  // I/O threads; stopped (what runs finishes, what waits is dropped) once
  // the I/O threads are done, before anything its tasks use goes.
  const WorkSettings workers = config->work();
  WorkPool pool(workers.threads, workers.max_queued_client);
  auto off_io = [&pool](std::function<void()> work) {
    pool.try_post(WorkPool::Lane::kPeer, [work = std::move(work)](bool run) {
      if (run) work();
    });
  };
  PeerTransport peers(io, config->peer_links(), *identity, clock, service.key_epoch());
  CeremonyManager ceremonies(io, config->ceremonies(), *identity, **store, service, metrics, clock, system_rng());
  ceremonies.set_sender([&peers](ParticipantIndex to, const v1::CeremonyMessage& m) { return peers.send(to, m); });
  Gossip gossip(
      service, **store, [&peers](ParticipantIndex to, const v1::GossipMessage& m) { return peers.send(to, m); },
      [&peers] { return peers.connected(); },
      // A catch-up batch, with its framing, must fit in one peer frame.
      std::min(Gossip::kBatchBytes, config->limits.max_frame_bytes / 4));
  service.set_spread([&gossip](const v1::GossipMessage& m) { gossip.spread(m); });
  ceremonies.set_key_listener([&peers, &gossip](std::uint32_t epoch) {
    peers.set_key_epoch(epoch);
    gossip.catch_up_all();  // secrets registered while this node held no key
  });
  peers.set_handlers({
      [&ceremonies](ParticipantIndex from, const v1::CeremonyMessage& m) { ceremonies.on_message(from, m); },
      [&ceremonies, &gossip, &off_io](ParticipantIndex peer) {
        off_io([&ceremonies, &gossip, peer] {
          ceremonies.on_link_up(peer);
          gossip.on_link_up(peer);
        });
      },
      [&metrics](ParticipantIndex peer, const std::string& reason) { metrics.peer_failure(peer, reason); },
      [&gossip](ParticipantIndex from, const v1::GossipMessage& m) { gossip.on_message(from, m); },
      [&gossip](ParticipantIndex to) { gossip.on_dropped(to); },
  });
  router.set_ceremonies(&ceremonies);
  service.set_ceremony_status([&ceremonies] { return ceremonies.status(); });
  if (auto s = ceremonies.resume(); !s) return fail("resuming the ceremony", s.error());
  peers.set_work_pool(&pool);
  auto peer_port = peers.start();
  if (!peer_port) return fail("peer transport", peer_port.error());
  service.set_peer_states([&peers] { return peers.peers(); });
  // Work on a period, each run at once and then every `interval` until stopped.
  std::vector<std::unique_ptr<Repeating>> periodic;
  auto every = [&](auto interval, std::function<void()> work, double jitter = 0) {
    periodic.push_back(std::make_unique<Repeating>(io, interval, std::move(work), jitter));
  };
  every(std::chrono::seconds(1), [&] { metrics.set_peers_connected(static_cast<int>(peers.connected_peers())); });
  // Memory that a burst of requests freed goes back to the system.
  every(std::chrono::seconds(10), [&] { off_io([] { ::malloc_trim(0); }); });
  // Anti-entropy's net, at a moment of its own on each node: a resync makes
  // every peer read and send what changed since, and the peers of nodes
  // started together would otherwise all do so at once.
  every(
      Gossip::kResyncInterval, [&] { off_io([&gossip] { gossip.catch_up_all(); }); }, 0.25);
  every(Gossip::kPushDelay, [&] { off_io([&gossip] { gossip.flush(); }); });  // gathered pushes
  auto reload_collateral = [&attestation, last = std::make_shared<std::string>()] {
    std::string now;
    const auto outcomes = attestation.reload();
    for (const auto& o : outcomes) now += o.file + o.error + o.summary + "\n";
    if (now == *last) return;  // logged when something changed
    *last = now;
    for (const auto& o : outcomes) {
      if (o.error.empty()) {
        spdlog::info("collateral {}: {}", o.file, o.summary);
      } else {
        spdlog::warn("collateral {}: left out: {}", o.file, o.error);
      }
    }
  };
  reload_collateral();  // before the API answers its first attested request
  every(std::chrono::minutes(1), [&] { off_io(reload_collateral); });
  spdlog::info("peer links (TLS 1.3, pinned identities) on {}:{}", config->peer_listen.host, *peer_port);

  HttpServer api(io, router, pool, config->api());
  auto port = api.start();
  if (!port) return fail("api", port.error());
  spdlog::info("client API on {}:{}; identity {}; {} worker threads", config->api_listen.host, *port,
               to_hex(identity->public_key), pool.threads());

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int signal) {
    spdlog::info("signal {}: shutting down", signal);
    api.stop();
    ceremonies.stop();
    peers.stop();
    for (auto& p : periodic) p->cancel();
    io.stop();
  });
  std::thread second([&io] { io.run(); });
  io.run();
  second.join();
  pool.stop();
  spdlog::info("stopped");
  return 0;
}

}  // namespace vigil::node
