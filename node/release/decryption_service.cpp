#include "node/release/decryption_service.h"

#include <algorithm>

#include "proto/audit.h"
#include "proto/codec.h"
#include "proto/protected_secrets.h"
#include "vigil/hash.h"

namespace vigil::node {
namespace {

// Whether the group's grant depends on this node's clock: a timeout or a time lock.
bool decided_by_clock(const PolicyGroup& g) { return g.silence_ms.has_value() || g.not_before_unix_ms.has_value(); }

// The message as kept and passed on: only the fields this node knows.
// Signatures do not cover unknown fields, so a sender could otherwise pad a
// valid message past the peer links' frame size.
template <class M>
M known_fields(const M& message) {
  M copy = message;
  copy.DiscardUnknownFields();
  return copy;
}
template <class M>
Bytes canonical_bytes(const M& message) {
  return proto::serialize(known_fields(message));
}

Result<v1::Registration> parse_registration(ByteSpan stored) {
  v1::Registration registration;
  if (!registration.ParseFromArray(stored.data(), static_cast<int>(stored.size()))) {
    return make_error(ErrorCode::kInternal, "stored registration does not parse");
  }
  return registration;
}

// A heartbeat carrying a new ciphertext that this node missed, arriving
// after a newer heartbeat (from a peer's catch-up, or the enclave's retry):
// its ciphertext is still to be taken.
bool late_rotation(const ProtectedSecret& stored, const v1::Heartbeat& heartbeat) {
  return heartbeat.has_replacement() && heartbeat.counter() <= stored.heartbeat_counter &&
         heartbeat.counter() > stored.rotation_counter;
}

Error unavailable() { return make_error(ErrorCode::kInvalidInput, "this node holds no key yet"); }

}  // namespace

DecryptionService::DecryptionService(ServiceSettings settings, Store& store, const Clock& clock, Rng& rng,
                                     const Ed25519KeyPair& identity)
    : settings_(std::move(settings)), store_(store), clock_(clock), rng_(rng), identity_(identity) {}

Status DecryptionService::load_key() {
  VIGIL_ASSIGN_OR_RETURN(auto record, store_.latest_key());
  const SecretShareWipe wipe(record);  // the node key below holds the share from here on
  if (!record) {
    // None, or erased after this node left the committee.
    std::lock_guard lock(key_mutex_);
    key_.reset();
    return {};
  }
  if (record->index() != settings_.self) {
    return make_error(ErrorCode::kInvalidInput, "stored key belongs to participant " + std::to_string(record->index()) +
                                                    ", this node is " + std::to_string(settings_.self));
  }
  VIGIL_ASSIGN_OR_RETURN(AnyNodeKey key, node_key_from_record(*record));
  std::lock_guard lock(key_mutex_);
  key_ = std::make_shared<const AnyNodeKey>(std::move(key));
  return {};
}

Status DecryptionService::import_key(const v1::StoredKey& record) {
  if (record.index() != settings_.self) {
    return make_error(ErrorCode::kInvalidInput, "key share is for participant " + std::to_string(record.index()) +
                                                    ", this node is " + std::to_string(settings_.self));
  }
  VIGIL_RETURN_IF_ERROR(node_key_from_record(record));
  VIGIL_RETURN_IF_ERROR(store_.put_key(record, clock_.now_unix_ms()));
  return load_key();
}

std::uint32_t DecryptionService::key_epoch() const {
  std::lock_guard lock(key_mutex_);
  return key_ ? std::visit([](const auto& k) { return k.epoch; }, *key_) : 0;
}

bool DecryptionService::has_key() const {
  std::lock_guard lock(key_mutex_);
  return key_ != nullptr;
}

v1::StatusResponse DecryptionService::status() const {
  v1::StatusResponse s;
  s.set_node_index(settings_.self);
  s.set_identity(std::string(identity_.public_key.begin(), identity_.public_key.end()));
  // The ceremony first: once it reads "done", its key is already the one
  // served (the manager installs it before it reports the outcome), so the
  // key read below is never older than the ceremony state beside it.
  if (ceremony_status_) {
    if (auto c = ceremony_status_()) *s.mutable_ceremony() = std::move(*c);
  }
  if (const std::shared_ptr<const AnyNodeKey> key = current_key()) {
    std::visit(
        [&](const auto& k) {
          using C = typename std::decay_t<decltype(k.commitment.group_public_key())>::CurveType;
          s.set_curve(std::string(C::kName));
          s.set_threshold(static_cast<std::uint32_t>(k.threshold));
          s.set_parties(static_cast<std::uint32_t>(k.public_shares.size()));
          s.set_group_public_key(as_string(k.commitment.group_public_key().encode()));
          s.set_key_epoch(k.epoch);
          for (const auto& p : k.public_shares) s.add_public_shares(as_string(p.encode()));
          for (const auto& c : k.commitment.elements()) s.add_commitments(as_string(c.encode()));
        },
        *key);
  }
  const std::vector<PeerState> states = peer_states_ ? peer_states_() : std::vector<PeerState>{};
  for (const auto& p : settings_.peers) {
    auto* ps = s.add_peers();
    ps->set_index(p.index);
    ps->set_address(p.address.to_string());
    for (const auto& st : states) {
      if (st.index == p.index) {
        ps->set_connected(st.connected);
        ps->set_last_seen_unix_ms(st.last_seen_unix_ms);
        if (st.clock_offset_ms) ps->set_clock_offset_ms(*st.clock_offset_ms);
        if (st.round_trip_us) ps->set_round_trip_us(*st.round_trip_us);
      }
    }
  }
  return s;
}

std::shared_ptr<const AnyNodeKey> DecryptionService::current_key() const {
  std::lock_guard lock(key_mutex_);
  return key_;
}

Result<std::shared_ptr<const AnyNodeKey>> DecryptionService::held_key() const {
  auto key = current_key();
  if (!key) return unavailable();
  return key;
}

std::optional<std::pair<std::string, std::string>> DecryptionService::clock_doubt(std::size_t threshold) const {
  if (!peer_states_ || settings_.peers.empty()) return std::nullopt;
  // Pings come every second: an older reading may predate a jump of either clock.
  constexpr auto kFresh = std::chrono::seconds(5);
  const auto now = std::chrono::steady_clock::now();
  const std::int64_t skew = std::chrono::duration_cast<std::chrono::milliseconds>(settings_.clock_skew).count();
  std::size_t fresh = 0, ahead = 0, behind = 0;
  for (const PeerState& p : peer_states_()) {
    if (!p.connected || !p.clock_offset_ms || now - p.clock_read_at > kFresh) continue;
    ++fresh;
    if (*p.clock_offset_ms < -skew) ++ahead;  // the peer's clock is behind this node's
    if (*p.clock_offset_ms > skew) ++behind;
  }
  if (fresh == 0) {
    return std::pair<std::string, std::string>{
        "clock_unverified", "this node has no fresh reading of its peers' clocks (no peer link is up)"};
  }
  const std::size_t n = settings_.peers.size() + 1;
  const std::size_t needed = std::min(fresh, n > threshold ? n - threshold + 1 : std::size_t{1});
  auto doubt = [&](const char* code, std::size_t count, const char* direction) {
    return std::pair<std::string, std::string>{code, std::to_string(count) + " of the " + std::to_string(fresh) +
                                                         " peers whose clocks it read find this node's " + direction +
                                                         " theirs by more than limits.clock_skew_s (" +
                                                         std::to_string(settings_.clock_skew.count()) +
                                                         " s): it decides no deadline until its clock is fixed"};
  };
  if (ahead >= needed) return doubt("clock_ahead", ahead, "clock ahead of");
  if (behind >= needed) return doubt("clock_behind", behind, "clock behind");
  return std::nullopt;
}

bool DecryptionService::within_skew(std::int64_t unix_ms, Origin origin) const {
  const std::int64_t now = clock_.now_unix_ms();
  const std::int64_t skew = std::chrono::duration_cast<std::chrono::milliseconds>(settings_.clock_skew).count();
  // What a peer passes on may be old (the enclave sent it to another node
  // while this one was down); never from the future, which would hold the
  // secret locked longer than its enclave said.
  return (origin != Origin::kClient || unix_ms >= now - skew) && unix_ms <= now + skew;
}

Status DecryptionService::valid_under_key(const AnyNodeKey& key, const proto::AnyCiphertext& ciphertext) {
  return std::visit(
      [&](const auto& k) -> Status {
        using C = typename std::decay_t<decltype(k.commitment.group_public_key())>::CurveType;
        const auto* ct = std::get_if<Tdh2Ciphertext<C>>(&ciphertext);
        if (ct == nullptr) {
          return make_error(ErrorCode::kInvalidInput,
                            "ciphertext.curve: this cluster's key is on " + std::string(C::kName));
        }
        return tdh2_verify_ciphertext<C>(k.tdh2, *ct);
      },
      key);
}

Status DecryptionService::room_for_one_more(std::int64_t held, const char* what) const {
  if (static_cast<std::size_t>(held) < settings_.max_ciphertexts) return {};
  return make_error(ErrorCode::kResourceExhausted, "this node keeps at most " +
                                                       std::to_string(settings_.max_ciphertexts) + " " + what +
                                                       " (limits.max_ciphertexts)");
}

Result<v1::RegistrationResponse> DecryptionService::register_secret(const v1::Registration& registration,
                                                                    Origin origin) {
  VIGIL_ASSIGN_OR_RETURN(std::shared_ptr<const AnyNodeKey> key, held_key());
  VIGIL_ASSIGN_OR_RETURN(proto::CheckedRegistration checked, proto::check_registration(registration));
  if (!within_skew(registration.registered_unix_ms(), origin)) {
    return make_error(ErrorCode::kInvalidInput, "registered_unix_ms: more than " +
                                                    std::to_string(settings_.clock_skew.count()) +
                                                    " s from this node's clock (limits.clock_skew_s)");
  }
  v1::RegistrationResponse response;
  response.set_key_id(as_string(checked.key_id));
  // Read without waiting for the disk: a peer's catch-up passes on every
  // secret the node already holds, and waiting for a sync per item stalled
  // the node's peer work for seconds under load.
  std::uint64_t unsettled = 0;
  VIGIL_ASSIGN_OR_RETURN(auto existing, store_.protected_secret(checked.key_id, &unsettled));
  if (existing) {
    // Held already (a client's retry, or a peer passing it on): nothing to check again.
    if (existing->registration != canonical_bytes(registration)) {
      return make_error(ErrorCode::kInvalidInput, "another registration holds this key id");
    }
    // A peer's copy came first: the enclave's own, checked near this
    // node's clock, dates the silence as it would have had it come first.
    // Telling the client it is held acknowledges it: only once it is on disk.
    if (origin == Origin::kClient) {
      VIGIL_RETURN_IF_ERROR(store_.take_enclave_time(checked.key_id, 0, registration.registered_unix_ms()));
      store_.settle(unsettled);
    }
    response.set_created(false);
    return response;
  }
  VIGIL_RETURN_IF_ERROR(valid_under_key(*key, checked.ciphertext));
  VIGIL_ASSIGN_OR_RETURN(std::int64_t count, store_.protected_secret_count());
  VIGIL_RETURN_IF_ERROR(room_for_one_more(count, "protected secrets"));
  ProtectedSecret secret;
  secret.key_id.assign(checked.key_id.begin(), checked.key_id.end());
  secret.registration = canonical_bytes(registration);
  secret.ciphertext = proto::serialize(registration.ciphertext());
  // Silence counts from the enclave's own time; for a registration learned
  // from a peer, not before this node first saw it: a peer that held back
  // the heartbeats must not make a node that learns the secret late release
  // at once.
  secret.heartbeat_unix_ms = origin == Origin::kClient
                                 ? registration.registered_unix_ms()
                                 : std::max(registration.registered_unix_ms(), clock_.now_unix_ms());
  VIGIL_ASSIGN_OR_RETURN(bool created, store_.put_protected_secret(secret));
  response.set_created(created);
  if (created && origin != Origin::kCatchUp && spread_) {
    v1::GossipMessage m;
    *m.mutable_pushed()->add_registrations() = known_fields(registration);
    spread_(m);
  }
  return response;
}

bool DecryptionService::holds(ByteSpan key_id, const v1::Registration& registration,
                              std::initializer_list<const v1::Heartbeat*> heartbeats) {
  std::uint64_t unsettled = 0;
  auto stored = store_.protected_secret(key_id, &unsettled);
  if (!stored || !*stored || (*stored)->registration != canonical_bytes(registration)) return false;
  return std::ranges::all_of(heartbeats, [&](const v1::Heartbeat* h) {
    if (h->counter() == 0) return true;  // none
    return std::ranges::equal(as_bytes(h->key_id()), key_id) && h->counter() <= (*stored)->heartbeat_counter &&
           !late_rotation(**stored, *h);
  });
}

Result<v1::Registration> DecryptionService::registration(ByteSpan key_id) {
  VIGIL_ASSIGN_OR_RETURN(auto stored, store_.protected_secret(key_id));
  if (!stored) return make_error(ErrorCode::kNotFound, "unknown_key: no secret is registered under this key id");
  return parse_registration(stored->registration);
}

Result<v1::HeartbeatResponse> DecryptionService::take_heartbeat(const v1::Heartbeat& heartbeat, Origin origin) {
  VIGIL_ASSIGN_OR_RETURN(std::shared_ptr<const AnyNodeKey> key, held_key());
  // Read without waiting for the disk: a refusal needs no durable state,
  // and what is taken is made durable by its own write below.
  std::uint64_t unsettled = 0;
  VIGIL_ASSIGN_OR_RETURN(auto stored, store_.protected_secret(as_bytes(heartbeat.key_id()), &unsettled));
  if (!stored) return make_error(ErrorCode::kNotFound, "unknown_key: no secret is registered under this key id");
  const Bytes heartbeat_bytes = canonical_bytes(heartbeat);
  if (heartbeat.counter() == stored->heartbeat_counter && heartbeat_bytes == stored->heartbeat) {
    // Held already (a retry, or a peer passed it on first): nothing to do,
    // except that the enclave's own copy dates the silence as it would have
    // had it come first. Telling the enclave it is taken acknowledges it:
    // only once what was read is on disk. A peer is told nothing (a
    // catch-up's cursor, written after, is made durable with what it read).
    if (origin == Origin::kClient) {
      if (within_skew(heartbeat.unix_ms(), origin)) {
        VIGIL_RETURN_IF_ERROR(
            store_.take_enclave_time(as_bytes(heartbeat.key_id()), heartbeat.counter(), heartbeat.unix_ms()));
      }
      store_.settle(unsettled);
    }
    v1::HeartbeatResponse response;
    response.set_counter(heartbeat.counter());
    return response;
  }
  // A late rotation's ciphertext is taken; the silence timer is not moved back.
  const bool late = late_rotation(*stored, heartbeat);
  if (heartbeat.counter() <= stored->heartbeat_counter && !late) {
    return make_error(ErrorCode::kInvalidInput, "replayed: counter " + std::to_string(heartbeat.counter()) +
                                                    " is not above " + std::to_string(stored->heartbeat_counter));
  }
  if (!within_skew(heartbeat.unix_ms(), late ? Origin::kPeer : origin)) {
    return make_error(ErrorCode::kInvalidInput, "unix_ms: more than " + std::to_string(settings_.clock_skew.count()) +
                                                    " s from this node's clock (limits.clock_skew_s)");
  }
  VIGIL_ASSIGN_OR_RETURN(v1::Registration registration, parse_registration(stored->registration));
  VIGIL_ASSIGN_OR_RETURN(Policy policy, decode_policy(as_bytes(registration.policy())));
  VIGIL_ASSIGN_OR_RETURN(
      proto::CheckedHeartbeat checked,
      proto::check_heartbeat(heartbeat, policy.enclave_key, policy_digest(as_bytes(registration.policy()))));
  std::optional<Bytes> replacement;
  if (checked.replacement) {
    VIGIL_RETURN_IF_ERROR(valid_under_key(*key, *checked.replacement));
    replacement = proto::serialize(heartbeat.replacement());
  }
  VIGIL_ASSIGN_OR_RETURN(
      bool taken, late ? store_.record_late_rotation(as_bytes(heartbeat.key_id()), heartbeat.counter(), heartbeat_bytes,
                                                     *replacement)
                       : store_.record_heartbeat(as_bytes(heartbeat.key_id()), heartbeat.counter(), heartbeat.unix_ms(),
                                                 heartbeat_bytes, replacement,
                                                 /*never_back=*/origin != Origin::kClient));
  if (!taken) {
    // The same heartbeat may have won meanwhile (from a peer, or a retry).
    VIGIL_ASSIGN_OR_RETURN(auto now_stored, store_.protected_secret(as_bytes(heartbeat.key_id())));
    if (now_stored && now_stored->heartbeat == heartbeat_bytes) {
      v1::HeartbeatResponse response;
      response.set_counter(heartbeat.counter());
      return response;
    }
    return make_error(ErrorCode::kInvalidInput, "replayed: a newer heartbeat arrived meanwhile");
  }
  if (origin != Origin::kCatchUp && spread_) {
    v1::GossipMessage m;
    *m.mutable_pushed()->add_heartbeats() = known_fields(heartbeat);
    spread_(m);
  }
  v1::HeartbeatResponse response;
  response.set_counter(heartbeat.counter());
  return response;
}

namespace {

// The first signature whose key no group of the policy names, if any.
std::optional<int> unlisted_signer(const v1::RecoveryRequest& request, const Policy& policy) {
  for (int i = 0; i < request.signatures_size(); ++i) {
    const std::string& key = request.signatures(i).key();
    const bool listed = std::any_of(policy.any_of.begin(), policy.any_of.end(), [&](const PolicyGroup& g) {
      return g.requester &&
             std::any_of(g.requester->keys.begin(), g.requester->keys.end(),
                         [&](const Ed25519PublicKey& k) { return std::ranges::equal(k, as_bytes(key)); });
    });
    if (!listed) return i;
  }
  return std::nullopt;
}

}  // namespace

Result<RecoveryOutcome> DecryptionService::recover(const v1::RecoveryRequest& request) {
  VIGIL_ASSIGN_OR_RETURN(std::shared_ptr<const AnyNodeKey> key, held_key());
  // Read without waiting for the disk, so that the signatures are checked
  // and the share computed while the shared sync runs: every answer below
  // that depends on what was read is recorded (and so made durable) first,
  // or settled.
  std::uint64_t unsettled = 0;
  VIGIL_ASSIGN_OR_RETURN(auto stored, store_.protected_secret(as_bytes(request.key_id()), &unsettled));
  if (!stored) return RecoveryOutcome{std::nullopt, "unknown_key", "no secret is registered under this key id"};
  VIGIL_ASSIGN_OR_RETURN(v1::Registration registration, parse_registration(stored->registration));
  VIGIL_ASSIGN_OR_RETURN(Policy policy, decode_policy(as_bytes(registration.policy())));
  // Only the policy's requesters' signatures are checked, and only requests
  // they signed are decisions for the audit chain: a stranger's request
  // costs no signature check and leaves no trace.
  if (auto i = unlisted_signer(request, policy)) {
    return RecoveryOutcome{std::nullopt, "not_authorised",
                           "signatures[" + std::to_string(*i) + "].key: not a requester of this secret's policy"};
  }
  VIGIL_ASSIGN_OR_RETURN(proto::CheckedRecovery checked, proto::check_recovery_request(request));
  const std::int64_t now = clock_.now_unix_ms();
  const auto max_age_ms = std::chrono::duration_cast<std::chrono::milliseconds>(settings_.request_max_age).count();
  if (request.expires_at_unix_ms() > now + max_age_ms) {
    return make_error(ErrorCode::kInvalidInput, "expires_at_unix_ms: more than " + std::to_string(max_age_ms / 1000) +
                                                    " s ahead of this node's clock (limits.request_max_age_s)");
  }

  Decision decision;
  decision.key_id = stored->key_id;
  decision.request_digest.assign(checked.request_digest.begin(), checked.request_digest.end());
  decision.signers = checked.signers;
  decision.unix_ms = now;
  std::string attested_by;  // for the audit chain: which quote an unsigned request came with
  auto refuse = [&](std::string code, std::string why) -> Result<RecoveryOutcome> {
    decision.outcome = code;
    decision.detail = why + attested_by;
    decision.release.reset();
    VIGIL_RETURN_IF_ERROR(store_.record_decision(decision, identity_));
    return RecoveryOutcome{std::nullopt, std::move(code), std::move(why)};
  };
  auto earlier_response = [&]() -> Result<std::optional<RecoveryOutcome>> {
    VIGIL_ASSIGN_OR_RETURN(auto earlier, store_.release(checked.request_digest, &unsettled));
    if (!earlier) return std::optional<RecoveryOutcome>();
    store_.settle(unsettled);  // the release is on disk before it is sent again
    RecoveryOutcome out;
    if (!out.granted.emplace().ParseFromArray(earlier->data(), static_cast<int>(earlier->size()))) {
      return make_error(ErrorCode::kInternal, "stored release does not parse");
    }
    return std::optional<RecoveryOutcome>(std::move(out));
  };

  PolicyFacts facts{now, 0, checked.signers, 0, std::nullopt, "the request carries no quote", false};
  const bool attested_policy = std::any_of(policy.any_of.begin(), policy.any_of.end(),
                                           [](const PolicyGroup& g) { return g.attested.has_value(); });
  if (!attested_policy && !request.quote().empty() && checked.signers.empty()) {
    return RecoveryOutcome{std::nullopt, "not_attested", "this secret's policy has no attested condition"};
  }
  if (checked.signers.empty() && request.expires_at_unix_ms() < now) {
    return RecoveryOutcome{std::nullopt, "expired", "the request expired"};  // no quote checked for it
  }
  if (attested_policy && !request.quote().empty()) attest(*key, request, now, facts);
  if (checked.signers.empty()) {
    // Decisions are recorded for requests signed by a requester, or attested
    // by a TD or enclave that some group names: a stranger's quote, however
    // genuine, leaves no trace.
    const bool named =
        facts.attestation && std::any_of(policy.any_of.begin(), policy.any_of.end(), [&](const PolicyGroup& g) {
          return g.attested && attestation_mismatch(*g.attested, facts).empty();
        });
    if (!named) {
      std::string why = facts.attestation_error;
      if (facts.attestation) {
        for (const PolicyGroup& g : policy.any_of) {
          if (g.attested) {
            why = attestation_mismatch(*g.attested, facts);
            break;
          }
        }
      }
      return RecoveryOutcome{std::nullopt, facts.collateral_expired ? "collateral_expired" : "not_attested", why};
    }
    attested_by = "; attested by the quote " + to_hex(sha256(as_bytes(request.quote())));
  }

  if (request.expires_at_unix_ms() < now) return refuse("expired", "the request expired");
  // A retry of a granted request (its response was lost): the same bytes,
  // not counted again.
  VIGIL_ASSIGN_OR_RETURN(auto retry, earlier_response());
  if (retry) return std::move(*retry);
  const std::uint32_t epoch = std::visit([](const auto& k) { return k.epoch; }, *key);
  if (request.key_epoch() != 0 && request.key_epoch() != epoch) {
    return refuse("wrong_epoch", "this node serves key epoch " + std::to_string(epoch) + ", the request is for " +
                                     std::to_string(request.key_epoch()));
  }
  // Decided on the state read here; the release is recorded only if that
  // state still holds (no heartbeat, replacement or release came in
  // meanwhile), otherwise decided again on the new state.
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (attempt > 0) {
      VIGIL_ASSIGN_OR_RETURN(stored, store_.protected_secret(as_bytes(request.key_id())));
      if (!stored) return make_error(ErrorCode::kInternal, "a protected secret disappeared");
    }
    facts.last_heartbeat_unix_ms = stored->heartbeat_unix_ms;
    facts.releases = stored->releases;
    PolicyDecision verdict = evaluate_policy(policy, facts);
    if (!verdict.granted) return refuse(std::string(refusal_code(verdict.refusal)), verdict.why);
    if (decided_by_clock(policy.any_of[verdict.group])) {
      if (auto doubt = clock_doubt(std::visit([](const auto& k) { return k.threshold; }, *key))) {
        // A group that no deadline decides may still grant.
        Policy clockless{policy.enclave_key, {}};
        std::vector<std::size_t> original;
        for (std::size_t g = 0; g < policy.any_of.size(); ++g) {
          if (decided_by_clock(policy.any_of[g])) continue;
          clockless.any_of.push_back(policy.any_of[g]);
          original.push_back(g);
        }
        const PolicyDecision other = clockless.any_of.empty() ? PolicyDecision{} : evaluate_policy(clockless, facts);
        if (!other.granted) return refuse(std::move(doubt->first), std::move(doubt->second));
        verdict = other;
        verdict.group = original[other.group];
      }
    }

    VIGIL_ASSIGN_OR_RETURN(v1::RecoveryResponse response,
                           sealed_share(*key, stored->ciphertext, request, checked.request_digest));
    decision.outcome = "granted";
    decision.detail = "any_of[" + std::to_string(verdict.group) + "]" + attested_by;
    decision.release =
        Decision::Release{Bytes(request.nonce().begin(), request.nonce().end()), proto::serialize(response),
                          policy.any_of[verdict.group].max_releases.value_or(0), stored->heartbeat_counter};
    VIGIL_ASSIGN_OR_RETURN(RecordedDecision recorded, store_.record_decision(decision, identity_));
    switch (recorded.conflict) {
      case ReleaseConflict::kNone: return RecoveryOutcome{std::move(response), {}, {}};
      case ReleaseConflict::kAlreadyReleased: {
        VIGIL_ASSIGN_OR_RETURN(auto raced, earlier_response());
        if (raced) return std::move(*raced);
        return make_error(ErrorCode::kInternal, "a release recorded meanwhile is not there");
      }
      case ReleaseConflict::kNonceUsed: return refuse("replayed", "another request for this key id used this nonce");
      case ReleaseConflict::kStateChanged: continue;
    }
  }
  return make_error(ErrorCode::kResourceExhausted, "the secret's state kept changing; ask again");
}

void DecryptionService::attest(const AnyNodeKey& key, const v1::RecoveryRequest& request, std::int64_t now_unix_ms,
                               PolicyFacts& facts) const {
  if (attestation_ == nullptr) {
    facts.attestation_error = "this node verifies no quotes (no collateral folder)";
    return;
  }
  const auto group_key = std::visit(
      [](const auto& k) {
        const auto e = k.commitment.group_public_key().encode();
        return Bytes(e.begin(), e.end());
      },
      key);
  const dcap::ReportData expected =
      proto::attested_report_data(proto::recovery_request_signing_bytes(request), group_key);
  auto outcome = attestation_->verify(as_bytes(request.quote()), now_unix_ms / 1000, expected);
  facts.attestation = outcome.attestation;
  facts.attestation_error = std::move(outcome.error);
  facts.collateral_expired = outcome.collateral_expired;
}

Result<v1::RecoveryResponse> DecryptionService::sealed_share(const AnyNodeKey& key, ByteSpan ciphertext,
                                                             const v1::RecoveryRequest& request,
                                                             ByteSpan request_digest) {
  v1::Tdh2Ciphertext message;
  if (!message.ParseFromArray(ciphertext.data(), static_cast<int>(ciphertext.size()))) {
    return make_error(ErrorCode::kInternal, "stored ciphertext does not parse");
  }
  return std::visit(
      [&](const auto& k) -> Result<v1::RecoveryResponse> {
        using C = typename std::decay_t<decltype(k.commitment.group_public_key())>::CurveType;
        VIGIL_ASSIGN_OR_RETURN(Tdh2Ciphertext<C> ct, proto::from_proto<C>(message));
        const CiphertextDigest digest = tdh2_ciphertext_digest(ct);
        auto verified = k.verified->find(digest);
        if (!verified) {
          // Checked when it was registered; again once after a restart.
          VIGIL_ASSIGN_OR_RETURN(VerifiedCiphertext<C> checked, tdh2_check_ciphertext<C>(k.tdh2, std::move(ct)));
          verified = std::make_shared<const VerifiedCiphertext<C>>(std::move(checked));
          k.verified->insert(verified);
        }
        VIGIL_ASSIGN_OR_RETURN(const DecryptionShare<C> share,
                               tdh2_decryption_share<C>(rng_, *verified, k.share, k.public_share()));
        X25519PublicKey response_key{};
        std::copy(request.response_key().begin(), request.response_key().end(), response_key.begin());
        VIGIL_ASSIGN_OR_RETURN(Bytes sealed,
                               seal_decryption_share<C>(rng_, response_key, request_digest, digest, share));
        v1::RecoveryResponse response;
        auto* s = response.mutable_share();
        s->set_version(proto::kWireVersion);
        s->set_curve(proto::to_proto_curve(C::kId));
        s->set_index(share.index);
        s->set_request_id(as_string(request_digest));
        s->set_ciphertext_digest(as_string(digest));
        s->set_sealed(as_string(sealed));
        s->set_key_epoch(k.epoch);
        *response.mutable_ciphertext() = std::move(message);
        return response;
      },
      key);
}

Result<v1::AuditPage> DecryptionService::audit(std::uint64_t from, std::size_t limit) {
  VIGIL_ASSIGN_OR_RETURN(std::vector<v1::AuditEntry> entries, store_.audit_entries(from, limit));
  VIGIL_ASSIGN_OR_RETURN(AuditHead head, store_.audit_head());
  v1::AuditPage page;
  for (auto& e : entries) *page.add_entries() = std::move(e);
  page.set_head_seq(head.seq);
  page.set_head_hash(as_string(head.hash));
  return page;
}

}  // namespace vigil::node
