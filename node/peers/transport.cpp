#include "node/peers/transport.h"

// GCC 12 flags Asio's coroutine frame deallocation as a mismatched
// new/delete once a coroutine body inlines enough (a false positive, GCC bug
// 109224); the frames are allocated and freed by Asio's own operators.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <spdlog/spdlog.h>

#include <deque>
#include <optional>

#include "node/peers/frame.h"
#include "node/peers/tls_identity.h"
#include "vigil/v1/node.pb.h"

namespace vigil::node {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

constexpr auto kPingInterval = 1s;
constexpr auto kHandshakeTimeout = 5s;
constexpr auto kBackoffStart = 100ms;
constexpr auto kBackoffMax = 5s;

}  // namespace

// One authenticated link: a reader, a writer draining a bounded outbox, and
// a pinger, all on the stream's strand.
struct PeerTransport::Session {
  std::shared_ptr<Stream> stream;
  std::deque<Bytes> outbox;
  std::size_t outbox_limit;
  asio::steady_timer wake;
  bool closed = false;
  // The latest ping, to time its pong.
  std::uint64_t ping_sequence = 0;
  std::chrono::steady_clock::time_point ping_sent;
  // Ceremony and gossip messages waiting for the handler, in order (at most
  // outbox_limit: the reader waits for room beyond that).
  std::deque<std::function<void()>> inbox;
  asio::steady_timer inbox_wake;  // the handler waits here for a message
  asio::steady_timer room;        // the reader waits here for room in the inbox

  Session(std::shared_ptr<Stream> s, std::size_t limit)
      : stream(std::move(s)),
        outbox_limit(limit),
        wake(stream->get_executor()),
        inbox_wake(stream->get_executor()),
        room(stream->get_executor()) {
    for (auto* timer : {&wake, &inbox_wake, &room}) timer->expires_at(std::chrono::steady_clock::time_point::max());
  }
  // Queues a frame; drops it (and says so) when the peer is not keeping up.
  bool send(const v1::PeerMessage& m, std::size_t max_frame) {
    if (closed || outbox.size() >= outbox_limit) return false;
    auto frame = encode_frame(as_bytes(m.SerializeAsString()), max_frame);
    if (!frame) return false;
    outbox.push_back(std::move(frame).value());
    wake.cancel();
    return true;
  }
  void close() {
    closed = true;
    wake.cancel();
    inbox_wake.cancel();
    room.cancel();
    boost::system::error_code ec;
    stream->lowest_layer().close(ec);
  }
};

PeerTransport::PeerTransport(asio::io_context& io, PeerLinkSettings settings, const Ed25519KeyPair& identity,
                             const Clock& clock, std::uint32_t key_epoch)
    : io_(io), settings_(std::move(settings)), clock_(clock), key_epoch_(key_epoch), acceptor_(asio::make_strand(io)) {
  // spdlog creates its registry on first use; do that here, before the
  // links' threads log concurrently.
  (void)spdlog::default_logger_raw();
  tls_ = make_peer_tls_context(identity).value();
  for (const auto& p : settings_.peers) state_[p.index].index = p.index;
}

PeerTransport::~PeerTransport() { stop(); }

Result<std::uint16_t> PeerTransport::start() {
  boost::system::error_code ec;
  tcp::resolver resolver(io_);
  auto results = resolver.resolve(settings_.listen.host, std::to_string(settings_.listen.port), ec);
  if (ec || results.empty()) return make_error(ErrorCode::kTransport, "cannot resolve " + settings_.listen.to_string());
  const tcp::endpoint ep = *results.begin();
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return make_error(ErrorCode::kTransport, "cannot listen on " + settings_.listen.to_string() + ": " + ec.message());
  // On the acceptor's strand, where stop() closes it.
  asio::co_spawn(acceptor_.get_executor(), accept_loop(), asio::detached);
  for (const auto& p : settings_.peers) {
    if (p.index > settings_.self) asio::co_spawn(io_, dial_loop(p), asio::detached);
  }
  return acceptor_.local_endpoint().port();
}

void PeerTransport::stop() {
  stopping_ = true;
  asio::post(acceptor_.get_executor(), [this] {
    boost::system::error_code ec;
    acceptor_.close(ec);
  });
  std::lock_guard lock(mutex_);
  for (auto& weak : live_) {
    if (auto s = weak.lock()) {
      asio::post(s->get_executor(), [s] {
        boost::system::error_code ignored;
        s->lowest_layer().close(ignored);
      });
    }
  }
}

std::vector<PeerState> PeerTransport::peers() const {
  std::lock_guard lock(mutex_);
  std::vector<PeerState> out;
  for (const auto& [_, s] : state_) out.push_back(s);
  return out;
}

std::size_t PeerTransport::connected_peers() const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& [_, s] : state_) n += s.connected ? 1 : 0;
  return n;
}

bool PeerTransport::send(ParticipantIndex peer, const v1::CeremonyMessage& message) {
  auto frame = std::make_shared<v1::PeerMessage>();
  *frame->mutable_ceremony() = message;
  return send_frame(peer, frame, true);
}

bool PeerTransport::send(ParticipantIndex peer, const v1::GossipMessage& message) {
  auto frame = std::make_shared<v1::PeerMessage>();
  *frame->mutable_gossip() = message;
  return send_frame(peer, frame, false);
}

std::vector<ParticipantIndex> PeerTransport::connected() const {
  std::lock_guard lock(mutex_);
  std::vector<ParticipantIndex> out;
  for (const auto& [index, session] : sessions_) {
    if (!session.expired()) out.push_back(index);
  }
  return out;
}

bool PeerTransport::send_frame(ParticipantIndex peer, const std::shared_ptr<v1::PeerMessage>& frame, bool critical) {
  std::shared_ptr<Session> session;
  {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(peer);
    if (it != sessions_.end()) session = it->second.lock();
  }
  if (!session) return false;
  const std::size_t max_frame = settings_.max_frame_bytes;
  asio::post(session->stream->get_executor(), [this, session, frame, max_frame, peer, critical] {
    if (!session->send(*frame, max_frame) && !session->closed) {
      if (critical) {
        spdlog::warn("peer {}: outbox full, ceremony message dropped", peer);
        failed(peer, "link");
      } else {
        spdlog::debug("peer {}: outbox full, gossip dropped (the peer is told to catch up)", peer);
        if (handlers_.gossip_dropped) handlers_.gossip_dropped(peer);
      }
    }
  });
  return true;
}

void PeerTransport::failed(ParticipantIndex index, const std::string& reason) {
  if (handlers_.failure) handlers_.failure(index, reason);
}

void PeerTransport::set_connected(ParticipantIndex index, bool connected, const std::shared_ptr<Session>& session) {
  std::lock_guard lock(mutex_);
  if (connected) {
    sessions_[index] = session;
  } else if (auto it = sessions_.find(index); it != sessions_.end() && it->second.lock() == session) {
    sessions_.erase(it);
  }
  auto& s = state_[index];
  s.index = index;
  s.connected = connected;
  if (connected) s.last_seen_unix_ms = clock_.now_unix_ms();
}

void PeerTransport::record_clock(ParticipantIndex index, std::int64_t peer_unix_ms) {
  // A peer's claim, so bounded: a reading beyond a century is no reading.
  constexpr std::int64_t kCentury_ms = 100LL * 365 * 24 * 3600 * 1000;
  std::int64_t offset = 0;
  const bool sane = !__builtin_sub_overflow(peer_unix_ms, clock_.now_unix_ms(), &offset) && offset > -kCentury_ms &&
                    offset < kCentury_ms;
  std::lock_guard lock(mutex_);
  if (sane) {
    state_[index].clock_offset_ms = offset;
    state_[index].clock_read_at = std::chrono::steady_clock::now();
  }
}

void PeerTransport::record_round_trip(ParticipantIndex index, std::chrono::steady_clock::duration round_trip) {
  std::lock_guard lock(mutex_);
  state_[index].round_trip_us = std::chrono::duration_cast<std::chrono::microseconds>(round_trip).count();
}

void PeerTransport::touch(ParticipantIndex index) {
  std::lock_guard lock(mutex_);
  state_[index].last_seen_unix_ms = clock_.now_unix_ms();
}

asio::awaitable<void> PeerTransport::accept_loop() {
  while (!stopping_) {
    boost::system::error_code ec;
    // Each link lives on its own strand: its reader, writer and timers never run concurrently.
    tcp::socket socket =
        co_await acceptor_.async_accept(asio::make_strand(io_), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (stopping_ || ec == asio::error::operation_aborted) co_return;
      // Out of file descriptors, say: the connection stays queued, so pause
      // rather than spin, and say so once in a while.
      if (const auto held_back = accept_errors_log_.admit(std::chrono::steady_clock::now())) {
        spdlog::warn("peer port: accept failed: {} ({} more since the last such line)", ec.message(), *held_back);
      }
      asio::steady_timer pause(acceptor_.get_executor(), 100ms);
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    // Noted now: once the handshake has failed the peer may be gone, and the
    // socket no longer knows where it came from.
    const tcp::endpoint remote = socket.remote_endpoint(ec);
    const std::string address = ec ? "unknown" : remote.address().to_string();
    const std::string from = ec ? "an unknown address" : address + ":" + std::to_string(remote.port());
    auto handshake = handshakes_->take(address, 1);
    if (!handshake) {
      ++rejected_;
      if (const auto held_back = refused_log_.admit(std::chrono::steady_clock::now())) {
        spdlog::warn(
            "peer link refused from {}: too many handshakes under way (at most {}, {} from one address); {} more "
            "refusals since the last such line",
            from, kMaxPendingHandshakes, kMaxPendingPerAddress, *held_back);
      }
      socket.close(ec);
      continue;
    }
    auto executor = socket.get_executor();
    asio::co_spawn(executor, serve_incoming(std::move(socket), std::move(handshake), from), asio::detached);
  }
}

asio::awaitable<void> PeerTransport::serve_incoming(tcp::socket socket, std::optional<SourceBudget::Lease> handshake,
                                                    std::string from) {
  auto stream = std::make_shared<Stream>(std::move(socket), *tls_);
  // Any pinned peer may connect; which one it is, its key says.
  std::optional<ParticipantIndex> who;
  stream->set_verify_callback(pinned_key_verifier([this, &who](const Ed25519PublicKey& key) {
    for (const auto& p : settings_.peers) {
      if (p.identity == key) who = p.index;
    }
    return who.has_value();
  }));
  asio::steady_timer deadline(stream->get_executor(), kHandshakeTimeout);
  deadline.async_wait([stream](boost::system::error_code ec) {
    if (!ec) {
      boost::system::error_code ignored;
      stream->lowest_layer().close(ignored);
    }
  });
  boost::system::error_code ec;
  co_await stream->async_handshake(ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
  deadline.cancel();
  handshake.reset();  // its place among the handshakes under way is free again
  if (ec || !who) {
    ++rejected_;
    // Without a pinned identity the handshake fails too: say both.
    const std::string why = who ? ec.message()
                                : "no identity pinned in this node's config was presented" +
                                      (ec ? " (TLS: " + ec.message() + ")" : std::string());
    if (const auto held_back = refused_log_.admit(std::chrono::steady_clock::now())) {
      spdlog::warn("peer link refused from {}: {} ({} more refusals since the last such line)", from, why, *held_back);
    }
    co_return;
  }
  co_await run_session(stream, *who);
}

asio::awaitable<bool> PeerTransport::dial_once(PeerConfig peer) {
  boost::system::error_code ec;
  auto stream = std::make_shared<Stream>(co_await asio::this_coro::executor, *tls_);
  tcp::resolver resolver(stream->get_executor());
  auto results = co_await resolver.async_resolve(peer.address.host, std::to_string(peer.address.port),
                                                 asio::redirect_error(asio::use_awaitable, ec));
  if (!ec) co_await asio::async_connect(stream->lowest_layer(), results, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return false;
  const Ed25519PublicKey expected = peer.identity;
  stream->set_verify_callback(pinned_key_verifier([expected](const Ed25519PublicKey& key) { return key == expected; }));
  asio::steady_timer deadline(stream->get_executor(), kHandshakeTimeout);
  deadline.async_wait([stream](boost::system::error_code e) {
    if (!e) {
      boost::system::error_code ignored;
      stream->lowest_layer().close(ignored);
    }
  });
  co_await stream->async_handshake(ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
  deadline.cancel();
  if (ec) {
    ++rejected_;
    spdlog::warn("peer link to node {} refused: {}", peer.index, ec.message());
    co_return false;
  }
  co_await run_session(stream, peer.index);
  co_return true;
}

asio::awaitable<void> PeerTransport::dial_loop(PeerConfig peer) {
  auto backoff = std::chrono::milliseconds(kBackoffStart);
  asio::steady_timer timer(io_);
  while (!stopping_) {
    // One attempt, and the link it makes, on a fresh strand.
    const bool linked = co_await asio::co_spawn(asio::make_strand(io_), dial_once(peer), asio::use_awaitable);
    if (stopping_) co_return;
    if (linked) backoff = std::chrono::milliseconds(kBackoffStart);
    timer.expires_after(backoff);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    backoff = std::min<std::chrono::milliseconds>(backoff * 2, kBackoffMax);
  }
}

bool PeerTransport::dispatch(ParticipantIndex peer, const std::shared_ptr<Session>& session, const Bytes& frame,
                             bool& greeted, std::function<void()>& work) {
  auto parsed = std::make_shared<v1::PeerMessage>();
  v1::PeerMessage& m = *parsed;
  if (!m.ParseFromArray(frame.data(), static_cast<int>(frame.size()))) {
    spdlog::warn("peer {}: malformed message", peer);
    failed(peer, "protocol");
    return true;
  }
  if (m.has_hello()) {
    if (m.hello().index() != peer) {
      spdlog::warn("peer {} claims index {}: link closed", peer, m.hello().index());
      session->close();
      return false;
    }
    greeted = true;
    set_connected(peer, true, session);
    spdlog::info("peer {} connected (key epoch {})", peer, m.hello().key_epoch());
    if (handlers_.link_up) handlers_.link_up(peer);
  } else if (m.has_ceremony()) {
    if (greeted && handlers_.ceremony) work = [this, peer, parsed] { handlers_.ceremony(peer, parsed->ceremony()); };
  } else if (m.has_gossip()) {
    if (greeted && handlers_.gossip) work = [this, peer, parsed] { handlers_.gossip(peer, parsed->gossip()); };
  } else if (m.has_ping()) {
    record_clock(peer, m.ping().sent_unix_ms());
    v1::PeerMessage pong;
    *pong.mutable_pong() = m.ping();
    session->send(pong, settings_.max_frame_bytes);
  } else if (m.has_pong()) {
    if (m.pong().sequence() == session->ping_sequence) {
      record_round_trip(peer, std::chrono::steady_clock::now() - session->ping_sent);
    }
    touch(peer);
  }
  return true;
}

asio::awaitable<void> PeerTransport::run_session(std::shared_ptr<Stream> stream, ParticipantIndex peer) {
  // Protocol messages are small and answered at once: Nagle's algorithm
  // against delayed ACKs would add ~40 ms to every round trip.
  boost::system::error_code nodelay_error;
  stream->lowest_layer().set_option(tcp::no_delay(true), nodelay_error);
  {
    std::lock_guard lock(mutex_);
    std::erase_if(live_, [](const std::weak_ptr<Stream>& w) { return w.expired(); });
    live_.push_back(stream);
  }
  auto session = std::make_shared<Session>(stream, settings_.queue_depth);
  const std::size_t max_frame = settings_.max_frame_bytes;
  v1::PeerMessage hello;
  hello.mutable_hello()->set_index(settings_.self);
  hello.mutable_hello()->set_key_epoch(key_epoch_);
  session->send(hello, max_frame);

  // Writer: drains the outbox. A peer that stops reading is cut off when
  // one write has waited read_timeout, instead of holding a full outbox.
  asio::co_spawn(
      stream->get_executor(),
      [session, peer, timeout = settings_.read_timeout]() -> asio::awaitable<void> {
        asio::steady_timer write_deadline(session->stream->get_executor());
        while (!session->closed) {
          if (session->outbox.empty()) {
            boost::system::error_code ec;
            co_await session->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            session->wake.expires_at(std::chrono::steady_clock::time_point::max());
            continue;
          }
          Bytes frame = std::move(session->outbox.front());
          session->outbox.pop_front();
          write_deadline.expires_after(timeout);
          write_deadline.async_wait([session, peer, timeout](boost::system::error_code ec) {
            if (ec || session->closed) return;
            spdlog::warn("peer {}: a write waited {} ms; the link is closed", peer, timeout.count());
            session->close();
          });
          boost::system::error_code ec;
          co_await asio::async_write(*session->stream, asio::buffer(frame),
                                     asio::redirect_error(asio::use_awaitable, ec));
          write_deadline.cancel();
          if (ec) session->close();
        }
      },
      asio::detached);

  // Pinger: keeps the link's liveness visible and its reads within deadline.
  asio::co_spawn(
      stream->get_executor(),
      [session, max_frame, clock = &clock_]() -> asio::awaitable<void> {
        asio::steady_timer timer(session->stream->get_executor());
        for (std::uint64_t seq = 1; !session->closed; ++seq) {
          v1::PeerMessage ping;
          ping.mutable_ping()->set_sequence(seq);
          ping.mutable_ping()->set_sent_unix_ms(clock->now_unix_ms());
          session->ping_sequence = seq;
          session->ping_sent = std::chrono::steady_clock::now();
          if (!session->send(ping, max_frame)) spdlog::warn("peer outbox full: ping dropped");
          timer.expires_after(kPingInterval);
          boost::system::error_code ec;
          co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
      },
      asio::detached);

  // Handler: ceremony and gossip messages in order, on the work pool (their
  // checks are CPU-heavy), while the reader goes on answering pings.
  asio::co_spawn(
      stream->get_executor(),
      [this, session]() -> asio::awaitable<void> {
        while (!session->closed) {
          if (session->inbox.empty()) {
            boost::system::error_code ec;
            co_await session->inbox_wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            session->inbox_wake.expires_at(std::chrono::steady_clock::time_point::max());
            continue;
          }
          std::function<void()> work = std::move(session->inbox.front());
          session->inbox.pop_front();
          session->room.cancel();
          if (pool_ == nullptr) {
            work();
          } else if (!co_await run_on(*pool_, WorkPool::Lane::kPeer, [&work] {
                       work();
                       return true;
                     })) {
            session->close();  // the pool has stopped: so has the node
          }
        }
      },
      asio::detached);

  // Reader. Each read has a deadline (the pinger keeps an honest link
  // busy), and so has each frame from its first byte: a peer trickling a
  // large frame a byte at a time is cut off, not waited for.
  FrameDecoder decoder(max_frame);
  std::array<std::uint8_t, 16384> buffer{};
  asio::steady_timer deadline(stream->get_executor());
  std::optional<std::chrono::steady_clock::time_point> frame_due;  // while a frame is incomplete
  bool greeted = false;
  while (!session->closed) {
    const auto read_due = std::chrono::steady_clock::now() + settings_.read_timeout;
    deadline.expires_at(frame_due ? std::min(*frame_due, read_due) : read_due);
    deadline.async_wait([session, peer, partial = decoder.buffered()](boost::system::error_code ec) {
      if (ec || session->closed) return;
      if (partial > 0) spdlog::warn("peer {}: a frame stayed incomplete too long; the link is closed", peer);
      session->close();
    });
    boost::system::error_code ec;
    const std::size_t n =
        co_await stream->async_read_some(asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
    deadline.cancel();
    if (ec) break;
    std::vector<Bytes> frames;
    if (auto s = decoder.feed(ByteSpan(buffer.data(), n), frames); !s) {
      spdlog::warn("peer {}: {}", peer, s.error().message);
      ++rejected_;
      failed(peer, "protocol");
      break;
    }
    // A frame completed here: what is left (if anything) began with this read.
    if (!frames.empty() || decoder.buffered() == 0) frame_due.reset();
    if (decoder.buffered() > 0 && !frame_due) frame_due = std::chrono::steady_clock::now() + settings_.read_timeout;
    for (const auto& f : frames) {
      std::function<void()> work;
      if (!dispatch(peer, session, f, greeted, work)) break;
      if (!work) continue;
      // A peer that sends faster than this node checks is not read until
      // there is room: it is slowed down, not queued without bound.
      while (session->inbox.size() >= session->outbox_limit && !session->closed) {
        boost::system::error_code room_ec;
        co_await session->room.async_wait(asio::redirect_error(asio::use_awaitable, room_ec));
        session->room.expires_at(std::chrono::steady_clock::time_point::max());
      }
      session->inbox.push_back(std::move(work));
      session->inbox_wake.cancel();
    }
  }
  session->close();
  if (greeted) {
    set_connected(peer, false, session);
    if (!stopping_) failed(peer, "link");
    spdlog::info("peer {} disconnected", peer);
  }
}

}  // namespace vigil::node
