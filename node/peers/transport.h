// Links between nodes: TLS 1.3 with pinned identities (tls_identity.h),
// length-prefixed PeerMessage frames (frame.h) capped at
// max_frame_bytes, a bounded outbox per peer, a deadline on every
// read, and reconnection with exponential backoff. Each pair of nodes keeps
// one link: the node with the lower index dials.
//
// The links carry a hello (index and key epoch), pings, and the messages of
// DKG and resharing ceremonies and gossip, which go to the handlers set
// below. Hellos and pings are answered at once on the link's strand;
// ceremony and gossip messages, which verify proofs and signatures, wait in
// the link's inbox (at most limits.peer_queue_depth; the link is not read
// while it is full) and run in order on the work pool's peer lane when one
// is set, so a link keeps answering pings while its messages are checked.
#pragma once

#include <utility>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>

#include "node/config.h"
#include "node/logging.h"
#include "node/peers/peer_state.h"
#include "node/source_budget.h"
#include "node/work_pool.h"
#include "vigil/clock.h"
#include "vigil/ed25519.h"
#include "vigil/v1/node.pb.h"

namespace vigil::node {

class PeerTransport {
 public:
  // `clock` stamps when each peer was last seen.
  PeerTransport(boost::asio::io_context& io, PeerLinkSettings settings, const Ed25519KeyPair& identity,
                const Clock& clock, std::uint32_t key_epoch);
  ~PeerTransport();

  struct Handlers {
    // A ceremony message from an authenticated peer (called on its link's strand).
    std::function<void(ParticipantIndex, const v1::CeremonyMessage&)> ceremony;
    // A link to a peer has been established and greeted.
    std::function<void(ParticipantIndex)> link_up;
    // A peer misbehaved on its link or the link failed: reason "protocol" or "link".
    std::function<void(ParticipantIndex, const std::string&)> failure;
    // A gossip message (protected secrets) from an authenticated peer.
    std::function<void(ParticipantIndex, const v1::GossipMessage&)> gossip;
    // A gossip message to a peer was dropped on its full outbox.
    std::function<void(ParticipantIndex)> gossip_dropped;
  };
  // Set before start().
  void set_handlers(Handlers handlers) { handlers_ = std::move(handlers); }
  void set_key_epoch(std::uint32_t epoch) { key_epoch_ = epoch; }
  // Set before start(): where ceremony and gossip messages are handled;
  // without one, on the link's strand.
  void set_work_pool(WorkPool* pool) { pool_ = pool; }

  // Listens on settings.listen (the bound port is returned) and starts
  // dialling the peers with higher indices.
  Result<std::uint16_t> start();
  // Stops accepting and closes every link, each on its own strand: any
  // thread may call this.
  void stop();

  // Queues a ceremony message to a connected peer; false if there is no link
  // (the peer asks for everything again when it reconnects).
  bool send(ParticipantIndex peer, const v1::CeremonyMessage& message);
  // Queues a gossip message; dropped when the peer's outbox is full
  // (Handlers::gossip_dropped, and the peer catches up later) rather than
  // failing the link.
  bool send(ParticipantIndex peer, const v1::GossipMessage& message);
  // The peers with a greeted link now.
  std::vector<ParticipantIndex> connected() const;

  std::vector<PeerState> peers() const;
  std::size_t connected_peers() const;
  // Handshakes refused: unpinned or mismatched identities, plaintext, bad
  // frames, and connections beyond the caps below.
  std::uint64_t rejected() const { return rejected_.load(); }

  // Incoming connections that have not yet shown a pinned key may hold a
  // TLS handshake for up to 5 s: at most this many at once, and at most
  // kMaxPendingPerAddress from one address (a peer comes from its own), so
  // that idle connections to the peer port cannot pile up; the rest are
  // closed at once.
  static constexpr std::size_t kMaxPendingHandshakes = 64;
  static constexpr std::size_t kMaxPendingPerAddress = 8;
  std::size_t pending_handshakes() const { return handshakes_->held(); }

 private:
  using Stream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;
  struct Session;

  boost::asio::awaitable<void> accept_loop();
  // `handshake` is this connection's place among the handshakes under way;
  // `from` its address and port, for the log.
  boost::asio::awaitable<void> serve_incoming(boost::asio::ip::tcp::socket socket,
                                              std::optional<SourceBudget::Lease> handshake, std::string from);
  boost::asio::awaitable<void> dial_loop(PeerConfig peer);
  boost::asio::awaitable<bool> dial_once(PeerConfig peer);
  boost::asio::awaitable<void> run_session(std::shared_ptr<Stream> stream, ParticipantIndex expected);
  // Handles one frame: a hello, ping or pong at once, while a ceremony or
  // gossip message is left in `work` for the reader to run. False when the
  // link must close.
  bool dispatch(ParticipantIndex peer, const std::shared_ptr<Session>& session, const Bytes& frame, bool& greeted,
                std::function<void()>& work);
  void set_connected(ParticipantIndex index, bool connected, const std::shared_ptr<Session>& session);
  void touch(ParticipantIndex index);
  void record_clock(ParticipantIndex index, std::int64_t peer_unix_ms);
  void record_round_trip(ParticipantIndex index, std::chrono::steady_clock::duration round_trip);
  // Queues `frame` on the peer's link; `critical` frames fail the link when
  // they cannot be queued.
  bool send_frame(ParticipantIndex peer, const std::shared_ptr<v1::PeerMessage>& frame, bool critical);
  void failed(ParticipantIndex index, const std::string& reason);

  boost::asio::io_context& io_;
  const PeerLinkSettings settings_;
  const Clock& clock_;
  std::atomic<std::uint32_t> key_epoch_;
  Handlers handlers_;
  WorkPool* pool_ = nullptr;
  std::unique_ptr<boost::asio::ssl::context> tls_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> rejected_{0};
  LogThrottle refused_log_{std::chrono::seconds(10)};
  LogThrottle accept_errors_log_{std::chrono::seconds(10)};
  const std::shared_ptr<SourceBudget> handshakes_ =
      std::make_shared<SourceBudget>(kMaxPendingHandshakes, kMaxPendingPerAddress);
  mutable std::mutex mutex_;
  std::map<ParticipantIndex, PeerState> state_;
  std::vector<std::weak_ptr<Stream>> live_;
  std::map<ParticipantIndex, std::weak_ptr<Session>> sessions_;
};

}  // namespace vigil::node
