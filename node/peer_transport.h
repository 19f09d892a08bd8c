// Links between nodes: TLS 1.3 with pinned identities (tls_identity.h),
// length-prefixed PeerMessage frames (frame.h) capped at
// limits.max_frame_bytes, a bounded outbox per peer, a deadline on every
// read, and reconnection with exponential backoff. Each pair of nodes keeps
// one link: the node with the lower index dials.
//
// For now the links carry a hello (index and key epoch) and pings; DKG and
// resharing messages travel over the same frames.
#pragma once

#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>

#include "config.h"
#include "peer_state.h"
#include "vigil/ed25519.h"

namespace vigil::node {

class PeerTransport {
 public:
  PeerTransport(boost::asio::io_context& io, const NodeConfig& config, const Ed25519KeyPair& identity,
                std::uint32_t key_epoch);
  ~PeerTransport();

  // Listens on config.peer_listen (the bound port is returned) and starts
  // dialling the peers with higher indices.
  Result<std::uint16_t> start();
  void stop();

  std::vector<PeerState> peers() const;
  std::size_t connected_peers() const;
  // Handshakes refused: unpinned or mismatched identities, plaintext, bad frames.
  std::uint64_t rejected() const { return rejected_.load(); }

 private:
  using Stream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;
  struct Session;

  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve_incoming(boost::asio::ip::tcp::socket socket);
  boost::asio::awaitable<void> dial_loop(PeerConfig peer);
  boost::asio::awaitable<bool> dial_once(PeerConfig peer);
  boost::asio::awaitable<void> run_session(std::shared_ptr<Stream> stream, ParticipantIndex expected);
  void set_connected(ParticipantIndex index, bool connected);
  void touch(ParticipantIndex index);

  boost::asio::io_context& io_;
  const NodeConfig& config_;
  std::uint32_t key_epoch_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> rejected_{0};
  mutable std::mutex mutex_;
  std::map<ParticipantIndex, PeerState> state_;
  std::vector<std::weak_ptr<Stream>> live_;
};

}  // namespace vigil::node
