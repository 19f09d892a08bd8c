// What a node does for clients, independent of HTTP: report its status,
// keep protected secrets (registrations and heartbeats, signed by their
// enclaves), and decide recovery requests under each secret's policy. This
// is the one path to a decryption share: a node computes a share only for
// a ciphertext registered under a policy whose digest is its label, and
// only when that policy grants the request (recover() below).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "node/config.h"
#include "node/metrics.h"
#include "node/peers/peer_state.h"
#include "node/release/attestation.h"
#include "node/release/node_key.h"
#include "node/store/store.h"
#include "proto/codec.h"
#include "vigil/clock.h"

namespace vigil::node {

// Where a registration or heartbeat comes from: an enclave (its timestamp
// must be within limits.clock_skew_s of this node's clock), a peer passing on
// one it accepted (it may be old, never from the future), or a peer's
// catch-up batch (likewise, and not passed on again: every peer catches up
// for itself).
enum class Origin { kClient, kPeer, kCatchUp };

// A recovery request's outcome: the response when granted, otherwise a
// stable refusal code (docs/api.md) and why.
struct RecoveryOutcome {
  std::optional<v1::RecoveryResponse> granted;
  // unknown_key, expired, wrong_epoch, not_authorised, not_attested, collateral_expired, not_before,
  // enclave_alive, released, replayed
  std::string refusal;
  std::string why;
};

class DecryptionService {
 public:
  // `identity` signs the node's audit chain. `rng` is drawn from on every
  // thread that calls the service, so it must be thread-safe (system_rng()
  // is; a StreamRng is not).
  DecryptionService(ServiceSettings settings, Store& store, const Clock& clock, Rng& rng,
                    const Ed25519KeyPair& identity);

  // Loads the newest stored key (again after a ceremony changed it); a node
  // without one serves only status.
  Status load_key();
  // Checks and stores a key record for this node (its index must match).
  Status import_key(const v1::StoredKey& record);
  bool has_key() const;
  // Where status() learns the state of the peer links, and recover() its
  // peers' clocks (see clock_doubt()).
  void set_peer_states(std::function<std::vector<PeerState>()> source) { peer_states_ = std::move(source); }
  // Where status() learns the state of the latest DKG or resharing.
  void set_ceremony_status(std::function<std::optional<v1::CeremonyStatus>()> source) {
    ceremony_status_ = std::move(source);
  }
  // Where recover() verifies the quotes of attested requests; without it,
  // an attested condition never holds ("not_attested").
  void set_attestation(const AttestationVerifier* verifier) { attestation_ = verifier; }
  // The epoch of the key this node serves (0 without a key).
  std::uint32_t key_epoch() const;

  v1::StatusResponse status() const;
  // Registers a protected secret (POST /v1/registrations): the message's own
  // checks (proto/protected_secrets.h), its timestamp within
  // limits.clock_skew_s of this node's clock, and its ciphertext valid under
  // this node's key. The same registration again is answered, not stored
  // twice; silence is measured from its timestamp until the first heartbeat.
  Result<v1::RegistrationResponse> register_secret(const v1::Registration& registration,
                                                   Origin origin = Origin::kClient);
  // Takes a heartbeat (POST /v1/heartbeats) for a registered secret. The
  // counter is compared with the stored one before anything else, so old
  // and replayed heartbeats cost no signature check; then its timestamp
  // (within limits.clock_skew_s), the enclave's signature, and a
  // replacement ciphertext's label and proof. A refused heartbeat leaves the
  // silence timer as it was; the very heartbeat held already is answered as
  // taken (a retry, or a peer passed it on first).
  Result<v1::HeartbeatResponse> take_heartbeat(const v1::Heartbeat& heartbeat, Origin origin = Origin::kClient);
  // Whether this node holds `registration` under `key_id` byte for byte and
  // none of `heartbeats` (counter 0: none) would add anything to it (each
  // for that key id, the one held or older, and no rotation it lacks). One read and no
  // signature check, nothing made durable (nothing is acknowledged): a
  // peer's catch-up passes on every change since the cursor, which its
  // pushes mostly brought already. A key id that holds anything else is
  // just not held: the item is then checked in full.
  bool holds(ByteSpan key_id, const v1::Registration& registration,
             std::initializer_list<const v1::Heartbeat*> heartbeats);
  // Where accepted registrations and heartbeats go to reach the peers
  // (node/gossip/gossip.h); called on the accepting thread.
  void set_spread(std::function<void(const v1::GossipMessage&)> spread) { spread_ = std::move(spread); }
  // The signed registration held under `key_id` (kNotFound: unknown_key).
  Result<v1::Registration> registration(ByteSpan key_id);
  // Decides a recovery request (POST /v1/recoveries) on this node's own
  // state and clock, in this order: sizes and every signature; expiry not
  // too far ahead; the key id (unknown_key); expired; a retry of a request
  // already granted (its stored response again, uncounted); the key epoch;
  // the secret's policy on the verified signers, the newest heartbeat's own
  // timestamp and this node's release count. A grant computes the share of
  // the ciphertext held now and seals it to the response key. Every
  // decision on a registered secret, granted or refused, is appended to the
  // audit chain, a grant in one transaction with its release. Malformed
  // requests are errors, not decisions.
  Result<RecoveryOutcome> recover(const v1::RecoveryRequest& request);
  // GET /v1/audit: entries from `from` on, at most `limit`, and the head.
  Result<v1::AuditPage> audit(std::uint64_t from, std::size_t limit);

 private:
  // The key served now (a ceremony may replace it meanwhile), or none; as
  // an error ("this node holds no key yet") when there is none.
  std::shared_ptr<const AnyNodeKey> current_key() const;
  Result<std::shared_ptr<const AnyNodeKey>> held_key() const;
  // kResourceExhausted once `held` records of a kind reach limits.max_ciphertexts.
  Status room_for_one_more(std::int64_t held, const char* what) const;
  // An enclave's timestamp within limits.clock_skew_s of this node's clock.
  bool within_skew(std::int64_t unix_ms, Origin origin) const;
  // Why this node's clock may not decide a deadline (a refusal code and its
  // reason), or nothing. A node whose clock runs fast would release before
  // the policy's timeout or time lock; one that runs slow refuses the
  // enclave's heartbeats as from the future, and would release once its
  // last one looks old. Its peers' clocks, read from their pings in the last
  // few seconds, are the check: it refuses when n - t + 1 of them (or all,
  // if fewer answer) put it more than limits.clock_skew_s ahead or behind.
  // The n - t nodes that a recovery may do without cannot block it by lying;
  // an honest cluster's peers outvote a wrong clock. With no fresh reading
  // (no peer link up), it does not decide. Without a source of peer states
  // (in-process tests) or peers, there is nothing to check.
  std::optional<std::pair<std::string, std::string>> clock_doubt(std::size_t threshold) const;
  // A ciphertext on this node's curve whose validity proof holds under its key.
  static Status valid_under_key(const AnyNodeKey& key, const proto::AnyCiphertext& ciphertext);

  // The share of `ciphertext` (a serialised v1::Tdh2Ciphertext) sealed to
  // the request's response key, as the response to keep and send.
  Result<v1::RecoveryResponse> sealed_share(const AnyNodeKey& key, ByteSpan ciphertext,
                                            const v1::RecoveryRequest& request, ByteSpan request_digest);
  // The facts a request's quote gives, for a policy with an attested condition.
  void attest(const AnyNodeKey& key, const v1::RecoveryRequest& request, std::int64_t now_unix_ms,
              PolicyFacts& facts) const;

  const ServiceSettings settings_;
  Store& store_;
  const Clock& clock_;
  Rng& rng_;
  const Ed25519KeyPair& identity_;
  mutable std::mutex key_mutex_;
  std::shared_ptr<const AnyNodeKey> key_;
  std::function<std::vector<PeerState>()> peer_states_;
  std::function<std::optional<v1::CeremonyStatus>()> ceremony_status_;
  std::function<void(const v1::GossipMessage&)> spread_;
  const AttestationVerifier* attestation_ = nullptr;
};

}  // namespace vigil::node
