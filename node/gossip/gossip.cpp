#include "node/gossip/gossip.h"

#include <spdlog/spdlog.h>

namespace vigil::node {
namespace {

template <class M>
bool parse(const Bytes& bytes, M& message) {
  return message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

template <class T>
Status status_of(const Result<T>& r) {
  return r ? Status() : Status(r.error());
}

}  // namespace

Gossip::Gossip(DecryptionService& service, Store& store, Send send, Connected connected, std::size_t batch_bytes)
    : service_(service),
      store_(store),
      send_(std::move(send)),
      connected_(std::move(connected)),
      batch_bytes_(batch_bytes) {}

void Gossip::on_link_up(ParticipantIndex peer) {
  {
    // A request outstanding on the previous link is lost with it.
    std::lock_guard lock(mutex_);
    asking_.erase(peer);
  }
  catch_up(peer);
}

void Gossip::spread(const v1::GossipMessage& message) {
  bool full = false;
  {
    std::lock_guard lock(mutex_);
    outbox_.mutable_pushed()->MergeFrom(message.pushed());
    outbox_bytes_ += message.ByteSizeLong();
    full = outbox_bytes_ >= batch_bytes_ / 2;
  }
  if (full) flush();
}

void Gossip::flush() {
  v1::GossipMessage pushed;
  std::set<ParticipantIndex> missed;
  {
    std::lock_guard lock(mutex_);
    pushed.Swap(&outbox_);
    outbox_bytes_ = 0;
    missed.swap(missed_);
  }
  if (!missed.empty()) {
    v1::GossipMessage hint;
    hint.mutable_catch_up();
    for (ParticipantIndex peer : missed) {
      send_(peer, hint);  // without a link, it catches up when the link comes back anyway
    }
  }
  if (!pushed.has_pushed()) return;
  for (ParticipantIndex peer : connected_()) send_(peer, pushed);
}

void Gossip::on_dropped(ParticipantIndex peer) {
  std::lock_guard lock(mutex_);
  missed_.insert(peer);
}

void Gossip::catch_up(ParticipantIndex peer) {
  if (!service_.has_key()) return;  // nothing could be checked yet; asked again once a key is installed
  {
    std::lock_guard lock(mutex_);
    if (!asking_.emplace(peer, std::chrono::steady_clock::now()).second) return;
  }
  auto cursor = store_.gossip_cursor(peer);
  if (!cursor) {
    spdlog::warn("gossip: reading the cursor for peer {}: {}", peer, cursor.error().message);
    std::lock_guard lock(mutex_);
    asking_.erase(peer);
    return;
  }
  v1::GossipMessage m;
  m.mutable_sync_request()->set_after(cursor->seq);
  if (!send_(peer, m)) {
    std::lock_guard lock(mutex_);
    asking_.erase(peer);
  }
}

void Gossip::catch_up_all() {
  {
    // A request lost (with its link, or dropped on a full outbox) is asked
    // again here; one still under way is not doubled.
    std::lock_guard lock(mutex_);
    const auto stale = std::chrono::steady_clock::now() - kStaleRequest;
    std::erase_if(asking_, [&](const auto& entry) { return entry.second < stale; });
  }
  for (ParticipantIndex peer : connected_()) catch_up(peer);
}

void Gossip::on_message(ParticipantIndex peer, const v1::GossipMessage& m) {
  if (m.has_pushed()) {
    for (const auto& registration : m.pushed().registrations()) {
      auto r = service_.register_secret(registration, Origin::kPeer);
      if (!r) spdlog::debug("gossip: registration from peer {} refused: {}", peer, r.error().message);
    }
    for (const auto& heartbeat : m.pushed().heartbeats()) {
      auto r = service_.take_heartbeat(heartbeat, Origin::kPeer);
      if (!r) spdlog::debug("gossip: heartbeat from peer {} refused: {}", peer, r.error().message);
    }
  } else if (m.has_catch_up()) {
    catch_up(peer);
  } else if (m.has_sync_request()) {
    if (!may_answer(peer)) return;
    answer(peer, m.sync_request().after());
  } else if (m.has_sync_batch()) {
    apply(peer, m.sync_batch());
  }
}

bool Gossip::may_answer(ParticipantIndex peer) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  if (answers_.try_emplace(peer, kAnswersPerSecond, kAnswerBurst).first->second.take(now)) return true;
  ++requests_dropped_;
  if (auto held_back = drop_log_.admit(now)) {
    spdlog::warn("gossip: peer {} asks for catch-up batches faster than {}/s; dropped ({} more since the last line)",
                 peer, kAnswersPerSecond, *held_back);
  }
  return false;
}

std::uint64_t Gossip::requests_dropped() const {
  std::lock_guard lock(mutex_);
  return requests_dropped_;
}

void Gossip::answer(ParticipantIndex peer, std::uint64_t after) {
  auto changes = store_.changes_since(after, batch_bytes_);
  auto sequence = store_.gossip_sequence_id();
  if (!changes || !sequence) {
    spdlog::warn("gossip: reading changes for peer {}: {}", peer,
                 (changes ? sequence.error() : changes.error()).message);
    return;
  }
  v1::GossipMessage m;
  auto* batch = m.mutable_sync_batch();
  batch->set_sequence_id(as_string(*sequence));
  for (const auto& secret : changes->secrets) {
    auto* item = batch->add_items();
    item->set_key_id(as_string(secret.key_id));
    if (!parse(secret.registration, *item->mutable_registration()) ||
        (!secret.rotation.empty() && !parse(secret.rotation, *item->mutable_rotation())) ||
        (!secret.heartbeat.empty() && !parse(secret.heartbeat, *item->mutable_heartbeat()))) {
      spdlog::error("gossip: a stored protected secret does not parse");
      return;
    }
  }
  batch->set_up_to(changes->up_to);
  batch->set_more(changes->more);
  send_(peer, m);
}

void Gossip::apply(ParticipantIndex peer, const v1::SyncBatch& batch) {
  {
    // Only the answer to this node's own request moves its cursor: a batch
    // nobody asked for (a peer's bug, or a duplicate) is dropped.
    std::lock_guard lock(mutex_);
    if (asking_.erase(peer) == 0) {
      spdlog::debug("gossip: dropped a catch-up batch from peer {} that was not asked for", peer);
      return;
    }
  }
  // Without a key nothing can be checked: the cursor stays, and this node
  // asks again once it has one.
  if (!service_.has_key()) return;
  auto cursor = store_.gossip_cursor(peer);
  if (!cursor) {
    spdlog::warn("gossip: reading the cursor for peer {}: {}", peer, cursor.error().message);
    return;
  }
  if (batch.sequence_id().size() > kMaxSequenceIdBytes) {
    spdlog::warn("gossip: dropped a catch-up batch from peer {}: its sequence id has {} bytes", peer,
                 batch.sequence_id().size());
    return;
  }
  const Bytes sequence(batch.sequence_id().begin(), batch.sequence_id().end());
  // The peer numbers its changes anew (its database was replaced or
  // restored): what it sent is taken, and the catch-up starts over from 0.
  const bool renumbered = !cursor->sequence_id.empty() && cursor->sequence_id != sequence;
  for (const auto& item : batch.items()) {
    if (service_.holds(as_bytes(item.key_id()), item.registration(), {&item.rotation(), &item.heartbeat()})) {
      continue;  // most of a catch-up, which pushes brought already
    }
    // The registration, then the heartbeat that last replaced its
    // ciphertext, then the newest: each checked as if its enclave sent it.
    Status done = status_of(service_.register_secret(item.registration(), Origin::kCatchUp));
    for (const v1::Heartbeat* h : {&item.rotation(), &item.heartbeat()}) {
      if (!done || h->counter() == 0) continue;
      auto taken = service_.take_heartbeat(*h, Origin::kCatchUp);
      // Already held (or newer held) is not a failure of the batch.
      if (!taken && taken.error().message.rfind("replayed", 0) != 0) done = status_of(taken);
    }
    if (!done) {
      // A failure of this node rather than of the item (full: limits.
      // max_ciphertexts or the disk; storage failing): the cursor stays, so
      // the secret is taken once the node can, not skipped for good.
      const ErrorCode code = done.error().code;
      if (code == ErrorCode::kResourceExhausted || code == ErrorCode::kInternal) {
        spdlog::warn("gossip: catching up from peer {} paused: {}", peer, done.error().message);
        return;
      }
      spdlog::warn("gossip: peer {} passed on a protected secret this node refuses: {}", peer, done.error().message);
    }
  }
  bool ask_again_now = batch.more() && batch.items_size() > 0;  // an honest peer sends one when there is more
  if (renumbered) {
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mutex_);
    auto [last, first] = renumbered_at_.try_emplace(peer, now);
    ask_again_now = first || now - last->second >= kRenumberPause;
    if (ask_again_now) last->second = now;
    spdlog::info("gossip: peer {} numbers its changes anew; catching up from its first{}", peer,
                 ask_again_now ? "" : " at the next resync (it did so moments ago)");
  }
  if (auto s = store_.set_gossip_cursor(peer, {renumbered ? 0 : batch.up_to(), sequence}); !s) {
    spdlog::warn("gossip: recording the cursor for peer {}: {}", peer, s.error().message);
    return;
  }
  if (ask_again_now) catch_up(peer);
}

}  // namespace vigil::node
