// Peer links over real TLS on loopback: pinned nodes connect; an unpinned
// identity, a mismatched pin and a plaintext client are refused, and the
// other links keep working; pings are answered while the workers are busy.
#include <gtest/gtest.h>

#include <utility>

#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>
#include <algorithm>
#include <array>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <future>
#include <thread>

#include "node/peers/frame.h"
#include "node/peers/tls_identity.h"
#include "node/peers/transport.h"
#include "support/test_support.h"

namespace vigil::node {
namespace {

using namespace std::chrono_literals;

std::uint16_t free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

struct RunningNode {
  explicit RunningNode(Ed25519KeyPair id) : identity(std::move(id)) {}
  NodeConfig config;
  Ed25519KeyPair identity;
  SystemClock clock;
  boost::asio::io_context io;
  std::unique_ptr<PeerTransport> transport;
  std::thread thread;
  PeerTransport::Handlers handlers;
  WorkPool* pool = nullptr;

  void start() {
    transport = std::make_unique<PeerTransport>(io, config.peer_links(), identity, clock, 1);
    transport->set_handlers(handlers);
    transport->set_work_pool(pool);
    ASSERT_TRUE(transport->start().ok());
    thread = std::thread([this] { io.run(); });
  }
  ~RunningNode() {
    if (transport) {
      boost::asio::post(io, [this] { transport->stop(); });
      std::this_thread::sleep_for(50ms);
      io.stop();
    }
    if (thread.joinable()) thread.join();
  }
};

// n nodes that all pin each other.
std::vector<std::unique_ptr<RunningNode>> make_nodes(Rng& rng, std::size_t n) {
  std::vector<std::unique_ptr<RunningNode>> nodes;
  for (std::size_t i = 0; i < n; ++i) {
    auto node = std::make_unique<RunningNode>(ed25519_generate(rng));
    node->config.index = static_cast<ParticipantIndex>(i + 1);
    node->config.peer_listen = {"127.0.0.1", free_port()};
    node->config.limits.read_timeout = 3s;
    nodes.push_back(std::move(node));
  }
  for (auto& a : nodes) {
    for (auto& b : nodes) {
      if (a != b) a->config.peers.push_back({b->config.index, b->config.peer_listen, b->identity.public_key});
    }
  }
  return nodes;
}

// The node's log lines from now on, until the returned sink is destroyed.
struct CapturedLog {
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(256);
  CapturedLog() { spdlog::default_logger()->sinks().push_back(sink); }
  ~CapturedLog() {
    auto& sinks = spdlog::default_logger()->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink), sinks.end());
  }
};
std::unique_ptr<CapturedLog> capture_log() { return std::make_unique<CapturedLog>(); }
bool logged(const std::unique_ptr<CapturedLog>& log, const std::string& text) {
  for (const auto& line : log->sink->last_formatted()) {
    if (line.find(text) != std::string::npos) return true;
  }
  return false;
}
std::string joined(const std::unique_ptr<CapturedLog>& log) {
  std::string out;
  for (const auto& line : log->sink->last_formatted()) out += line;
  return out;
}

bool eventually(const std::function<bool()>& condition) {
  for (int i = 0; i < 100; ++i) {
    if (condition()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return condition();
}

TEST(PeerTransport, PinnedNodesConnect) {
  SeededRng rng(vigil::test::test_seed() + 110);
  auto nodes = make_nodes(rng, 3);
  for (auto& n : nodes) n->start();
  for (auto& n : nodes) {
    EXPECT_TRUE(eventually([&] { return n->transport->connected_peers() == 2; })) << "node " << n->config.index;
    EXPECT_EQ(n->transport->rejected(), 0u);
  }
}

// Idle connections to the peer port hold at most kMaxPendingPerAddress
// handshakes from one address and kMaxPendingHandshakes in all; the rest
// are closed at once, each counted and logged at most every 10 s. A flood
// from one address leaves room for a pinned peer's link.
TEST(PeerTransport, IdleConnectionsToThePeerPortAreCappedAndAPeerStillConnects) {
  namespace ip = boost::asio::ip;
  SeededRng rng(vigil::test::test_seed() + 118);
  auto nodes = make_nodes(rng, 2);
  auto& server = *nodes[1];  // node 1 dials node 2
  auto log = capture_log();
  server.start();
  boost::asio::io_context io;
  std::vector<ip::tcp::socket> idle;
  auto connect_from = [&](const std::string& source) {
    ip::tcp::socket s(io);
    s.open(ip::tcp::v4());
    s.bind({ip::make_address(source), 0});
    s.connect({ip::make_address("127.0.0.1"), server.config.peer_listen.port});
    idle.push_back(std::move(s));
  };
  // Closed by the node: a read finds the end of the stream.
  auto closed_by_node = [&](std::size_t from, std::size_t to) {
    std::size_t closed = 0;
    for (std::size_t i = from; i < to; ++i) {
      idle[i].non_blocking(true);
      std::array<char, 1> byte{};
      boost::system::error_code ec;
      idle[i].read_some(boost::asio::buffer(byte), ec);
      if (ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset) ++closed;
    }
    return closed;
  };

  for (int i = 0; i < 20; ++i) connect_from("127.0.0.7");
  EXPECT_TRUE(eventually([&] { return server.transport->rejected() == 20 - PeerTransport::kMaxPendingPerAddress; }));
  EXPECT_EQ(server.transport->pending_handshakes(), PeerTransport::kMaxPendingPerAddress);
  EXPECT_TRUE(eventually([&] { return closed_by_node(0, 20) == 20 - PeerTransport::kMaxPendingPerAddress; }));
  nodes[0]->start();
  EXPECT_TRUE(eventually([&] { return nodes[0]->transport->connected_peers() == 1; }))
      << "the pinned peer got no link beside one address's idle connections";

  // From a hundred addresses: at most the whole cap is held (fewer if the
  // first ones reached their deadline meanwhile), the rest are closed.
  const std::uint64_t before = server.transport->rejected();
  for (int a = 1; a <= 100; ++a) connect_from("127.0.1." + std::to_string(a));
  const std::size_t room = PeerTransport::kMaxPendingHandshakes - PeerTransport::kMaxPendingPerAddress;
  EXPECT_TRUE(eventually([&] { return server.transport->rejected() >= before + 100 - room; }));
  EXPECT_LE(server.transport->pending_handshakes(), PeerTransport::kMaxPendingHandshakes);
  EXPECT_TRUE(eventually([&] { return closed_by_node(20, 120) >= 100 - room; }));
  // One line for the first refusal, then silence for 10 s.
  std::size_t lines = 0;
  for (const auto& line : log->sink->last_formatted()) {
    lines += line.find("too many handshakes under way") != std::string::npos ? 1 : 0;
  }
  EXPECT_EQ(lines, 1u) << joined(log);
  // Each idle handshake ends at its deadline and gives its place back.
  EXPECT_TRUE(eventually([&] { return server.transport->pending_handshakes() == 0; }) ||
              eventually([&] { return server.transport->pending_handshakes() == 0; }));
}

// A pinned peer speaking the protocol by hand over its own TLS link: it
// holds node 1's identity and greets the node as node 1 would.
class HandmadePeer {
 public:
  HandmadePeer(const Ed25519KeyPair& identity, std::uint16_t port)
      : context_(make_peer_tls_context(identity).value()), stream_(io_, *context_) {
    stream_.set_verify_mode(boost::asio::ssl::verify_peer);
    stream_.set_verify_callback(pinned_key_verifier([](const Ed25519PublicKey&) { return true; }));
    stream_.lowest_layer().connect({boost::asio::ip::make_address("127.0.0.1"), port});
    stream_.handshake(boost::asio::ssl::stream_base::client);
    v1::PeerMessage hello;
    hello.mutable_hello()->set_index(1);
    hello.mutable_hello()->set_key_epoch(1);
    send(hello);
  }
  void send(const v1::PeerMessage& message) {
    write(encode_frame(as_bytes(message.SerializeAsString()), 1u << 20).value());
  }
  void write(ByteSpan bytes) {
    boost::system::error_code ec;
    boost::asio::write(stream_, boost::asio::buffer(bytes.data(), bytes.size()), ec);
  }
  void ping(std::uint64_t sequence) {
    v1::PeerMessage m;
    m.mutable_ping()->set_sequence(sequence);
    send(m);
  }

 private:
  boost::asio::io_context io_;
  std::unique_ptr<boost::asio::ssl::context> context_;
  boost::asio::ssl::stream<boost::asio::ip::tcp::socket> stream_;
};

// A pinned peer may misbehave too. One that trickles a frame (each read
// within the deadline, the frame never done) and one that stops reading
// while the node has much to send each lose their link at read_timeout,
// where before the first held it for ever and the second kept a full outbox.
TEST(PeerTransport, APinnedPeerThatTricklesAFrameOrStopsReadingIsCutOff) {
  SeededRng rng(vigil::test::test_seed() + 119);
  auto nodes = make_nodes(rng, 2);
  auto& node = *nodes[1];
  node.config.limits.read_timeout = 1s;
  // Node 1 dials node 2, never the other way: the hand-made peer is node 1.
  auto log = capture_log();
  node.start();

  {
    HandmadePeer trickler(nodes[0]->identity, node.config.peer_listen.port);
    ASSERT_TRUE(eventually([&] { return node.transport->connected_peers() == 1; }));
    v1::PeerMessage gossip;  // a frame of 200 bytes or so: a minute at this pace
    gossip.mutable_gossip()->mutable_pushed()->add_registrations()->set_policy(std::string(200, 'p'));
    const Bytes frame = encode_frame(as_bytes(gossip.SerializeAsString()), 1u << 20).value();
    const auto started = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i + 1 < frame.size() && node.transport->connected_peers() == 1; ++i) {
      trickler.write(ByteSpan(frame).subspan(i, 1));
      std::this_thread::sleep_for(300ms);
    }
    EXPECT_TRUE(eventually([&] { return node.transport->connected_peers() == 0; }));
    EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
    EXPECT_TRUE(logged(log, "peer 1: a frame stayed incomplete too long")) << joined(log);
  }

  {
    HandmadePeer deaf(nodes[0]->identity, node.config.peer_listen.port);
    ASSERT_TRUE(eventually([&] { return node.transport->connected_peers() == 1; }));
    // 32 MiB for a peer that never reads: more than the sockets hold.
    v1::GossipMessage big;
    big.mutable_pushed()->add_registrations()->set_policy(std::string(512u << 10, 'p'));
    for (int i = 0; i < 64; ++i) node.transport->send(1, big);
    for (std::uint64_t i = 0; i < 30 && node.transport->connected_peers() == 1; ++i) {
      deaf.ping(i);  // it keeps talking, so only the write can time out
      std::this_thread::sleep_for(100ms);
    }
    EXPECT_EQ(node.transport->connected_peers(), 0u) << "a peer that does not read keeps its link";
    EXPECT_TRUE(logged(log, "peer 1: a write waited 1000 ms; the link is closed")) << joined(log);
  }
}

TEST(PeerTransport, UnpinnedIdentityCannotJoin) {
  SeededRng rng(vigil::test::test_seed() + 111);
  auto nodes = make_nodes(rng, 2);
  // Node 1 presents a key node 2 does not pin.
  nodes[0]->identity = ed25519_generate(rng);
  for (auto& n : nodes) n->start();
  EXPECT_TRUE(eventually([&] { return nodes[1]->transport->rejected() > 0; }));
  EXPECT_EQ(nodes[1]->transport->connected_peers(), 0u);
  EXPECT_EQ(nodes[0]->transport->connected_peers(), 0u);
}

TEST(PeerTransport, MismatchedPinIsRefusedByTheDialer) {
  SeededRng rng(vigil::test::test_seed() + 112);
  auto nodes = make_nodes(rng, 2);
  // Node 1 (the dialer) expects another key for node 2.
  nodes[0]->config.peers[0].identity = ed25519_generate(rng).public_key;
  for (auto& n : nodes) n->start();
  EXPECT_TRUE(eventually([&] { return nodes[0]->transport->rejected() > 0; }));
  EXPECT_EQ(nodes[0]->transport->connected_peers(), 0u);
}

TEST(PeerTransport, PlaintextClientIsRefusedAndOthersStayUp) {
  SeededRng rng(vigil::test::test_seed() + 113);
  auto log = capture_log();
  auto nodes = make_nodes(rng, 2);
  for (auto& n : nodes) n->start();
  ASSERT_TRUE(eventually([&] { return nodes[1]->transport->connected_peers() == 1; }));
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket s(io);
  s.connect({boost::asio::ip::make_address("127.0.0.1"), nodes[1]->config.peer_listen.port});
  const std::string garbage = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  boost::asio::write(s, boost::asio::buffer(garbage));
  std::array<char, 64> buf{};
  boost::system::error_code ec;
  s.read_some(boost::asio::buffer(buf), ec);  // the node answers with a TLS alert or closes
  s.close();
  EXPECT_TRUE(eventually([&] { return nodes[1]->transport->rejected() > 0; }));
  // The refusal names where the connection came from, though the client is gone by then.
  EXPECT_TRUE(eventually([&] { return logged(log, "peer link refused from 127.0.0.1:"); })) << joined(log);
  EXPECT_FALSE(logged(log, "0.0.0.0")) << joined(log);
  EXPECT_EQ(nodes[1]->transport->connected_peers(), 1u);
}

// Ceremony and gossip messages are handled on the work pool, so a node
// whose workers are all busy (a flood of client requests) still answers its
// peers' pings at once: the link stays up and its round trip is measured,
// while the gossip waits for a worker and then runs on one.
TEST(PeerTransport, PingsAreAnsweredWhileTheWorkersAreBusy) {
  SeededRng rng(vigil::test::test_seed() + 114);
  auto nodes = make_nodes(rng, 2);
  WorkPool pool(1, 1);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  ASSERT_TRUE(pool.try_post(WorkPool::Lane::kClient, [released](bool) { released.wait(); }));
  std::promise<std::thread::id> gossip_thread;
  nodes[1]->pool = &pool;
  nodes[1]->handlers.gossip = [&gossip_thread](ParticipantIndex, const v1::GossipMessage&) {
    gossip_thread.set_value(std::this_thread::get_id());
  };
  std::promise<std::thread::id> io_thread;
  for (auto& n : nodes) n->start();
  boost::asio::post(nodes[1]->io, [&io_thread] { io_thread.set_value(std::this_thread::get_id()); });
  ASSERT_TRUE(eventually([&] { return nodes[0]->transport->connected_peers() == 1; }));

  v1::GossipMessage message;
  message.mutable_sync_request()->set_after(7);
  ASSERT_TRUE(nodes[0]->transport->send(2, message));
  auto handled = gossip_thread.get_future();
  // Pongs keep arriving both ways while the gossip waits for the worker:
  // each side's last sight of the other moves on (a ping a second).
  auto last_seen = [](const RunningNode& node) { return node.transport->peers().at(0).last_seen_unix_ms; };
  std::this_thread::sleep_for(100ms);  // the gossip has arrived and waits
  const std::int64_t first_seen[2] = {last_seen(*nodes[0]), last_seen(*nodes[1])};
  EXPECT_TRUE(eventually([&] {
    return last_seen(*nodes[0]) >= first_seen[0] + 1500 && last_seen(*nodes[1]) >= first_seen[1] + 1500;
  })) << "node 2 answers and records pings while its message waits";
  EXPECT_TRUE(nodes[0]->transport->peers().at(0).round_trip_us.has_value());
  EXPECT_EQ(handled.wait_for(0s), std::future_status::timeout) << "the only worker is busy";

  release.set_value();
  ASSERT_EQ(handled.wait_for(10s), std::future_status::ready);
  EXPECT_NE(handled.get(), io_thread.get_future().get()) << "handled on a worker, not on the link's I/O thread";
  EXPECT_EQ(nodes[1]->transport->connected_peers(), 1u);
  pool.stop();
}

}  // namespace
}  // namespace vigil::node
