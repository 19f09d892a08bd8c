// Protected secrets spread between nodes. Registrations and heartbeats are
// signed by their enclaves, so any node may pass them on and every node
// checks them itself (DecryptionService): a heartbeat that reaches one
// honest node connected to the others keeps every node from releasing.
//
// Two mechanisms:
//   - Push: each registration or heartbeat a node accepts goes to every
//     connected peer (DecryptionService::set_spread), gathered for a few
//     milliseconds into one message per peer (flush(), on a timer): a
//     cluster taking a thousand heartbeats a second then sends tens of
//     messages, not thousands. A peer that accepts one passes it on in turn,
//     so it crosses any connected graph.
//   - Catch-up (anti-entropy): every node numbers its changes (a new
//     registration or heartbeat moves its secret to the end of the
//     sequence, Store::changes_since). On each link-up, when its key is
//     installed, when a peer says pushes to it were dropped (a push that
//     meets a full outbox is lost; the sender remembers and sends a
//     CatchUpHint with its next flush), and every kResyncInterval (drawn
//     anew each time within a quarter of it, node/daemon.cpp) as a safety
//     net, a node asks each peer for its changes after the cursor it keeps
//     for that peer, applies them in batches of bounded size and advances
//     the cursor durably. A node that was down, restarted or joined by a
//     resharing thus learns every secret registered without it. Pushes do
//     not move cursors, so a resync is sent again what pushes brought since
//     the last: each item it holds byte for byte is skipped after one read
//     (DecryptionService::holds), and only the rest is checked in full.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <vector>

#include "node/logging.h"
#include "node/release/decryption_service.h"
#include "node/store/store.h"
#include "node/token_bucket.h"

namespace vigil::node {

class Gossip {
 public:
  using Send = std::function<bool(ParticipantIndex, const v1::GossipMessage&)>;
  using Connected = std::function<std::vector<ParticipantIndex>()>;
  // How often every peer is asked anyway (a safety net: pushes, link-ups
  // and hints about dropped pushes cover what is known to be lost).
  static constexpr std::chrono::minutes kResyncInterval{5};
  // Catch-up batches are at most about this many bytes of signed messages;
  // a push is sent at once when it reaches half of it.
  static constexpr std::size_t kBatchBytes = 256 * 1024;
  // How long an accepted registration or heartbeat may wait to be pushed.
  static constexpr std::chrono::milliseconds kPushDelay{20};

  Gossip(DecryptionService& service, Store& store, Send send, Connected connected,
         std::size_t batch_bytes = kBatchBytes);

  // Accepted registrations and heartbeats (message.pushed()), to be pushed
  // to every connected peer with the next flush.
  void spread(const v1::GossipMessage& message);
  // Pushes what spread() gathered (every kPushDelay, and at once when it
  // grows large), and tells each peer that missed a push to catch up.
  void flush();
  // A push to `peer` was dropped on its full outbox.
  void on_dropped(ParticipantIndex peer);
  // A link to `peer` is up: asks it for what changed since this node's
  // cursor for it.
  void on_link_up(ParticipantIndex peer);
  // Asks `peer` unless a request to it is outstanding.
  void catch_up(ParticipantIndex peer);
  // Asks every connected peer (on a timer, and once a key is installed); a
  // request outstanding for longer than kStaleRequest is taken as lost.
  void catch_up_all();
  static constexpr std::chrono::seconds kStaleRequest{20};
  // A sequence id is 16 random bytes; a longer one is refused, not stored.
  static constexpr std::size_t kMaxSequenceIdBytes = 64;
  // What a peer can make this node do, bounded: catch-up requests answered
  // (each a read of up to a batch from the database) at kAnswersPerSecond
  // with bursts of kAnswerBurst, the rest dropped (an honest peer asks one
  // batch at a time and checks each before the next); a peer that numbers
  // its changes anew is asked again at once at most every kRenumberPause,
  // and otherwise at the next link-up or resync.
  static constexpr double kAnswersPerSecond = 32;
  static constexpr double kAnswerBurst = 64;
  static constexpr std::chrono::seconds kRenumberPause{60};
  void on_message(ParticipantIndex peer, const v1::GossipMessage& message);
  // Catch-up requests from peers dropped over kAnswersPerSecond.
  std::uint64_t requests_dropped() const;

 private:
  bool may_answer(ParticipantIndex peer);
  void answer(ParticipantIndex peer, std::uint64_t after);
  void apply(ParticipantIndex peer, const v1::SyncBatch& batch);

  DecryptionService& service_;
  Store& store_;
  Send send_;
  Connected connected_;
  const std::size_t batch_bytes_;
  mutable std::mutex mutex_;
  LogThrottle drop_log_{std::chrono::seconds(10)};
  // Peers with a catch-up request outstanding, and since when.
  std::map<ParticipantIndex, std::chrono::steady_clock::time_point> asking_;
  std::map<ParticipantIndex, TokenBucket> answers_;  // per peer
  std::map<ParticipantIndex, std::chrono::steady_clock::time_point> renumbered_at_;
  std::uint64_t requests_dropped_ = 0;
  v1::GossipMessage outbox_;           // gathered for the next push
  std::set<ParticipantIndex> missed_;  // peers that lost a push, to be told to catch up
  std::size_t outbox_bytes_ = 0;
};

}  // namespace vigil::node
