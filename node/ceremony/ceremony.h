// One node's part in a DKG or resharing: the protocol state machine of
// vigil/dkg.h plus what a network needs around it. No I/O: the inputs are
// peer messages and the time, the outputs are messages in an outbox, so the
// same code runs over an in-memory transport in tests and over TLS in vigild
// (node/ceremony/manager.h), and replaying its journaled inputs after a crash
// brings a node back exactly where it was.
//
// Phases, each ended early once everything it waits for is in, or on its
// deadline (the k-th phase ends at most k * phase_timeout after the node
// accepted the plan):
//
//   deal      dealings from every dealer, and this node's share from each
//   complain  one DkgComplaints from every member of the new committee
//             (possibly empty); an accused dealer answers at once
//   justify   a valid justification for every open complaint
//   confirm   signed confirmations (transcript digest) from the new committee;
//             "done" once a majority of it, and at least t, confirmed this
//             node's transcript; a dealer whose dealing digest differs
//             between confirmations equivocated, and the ceremony fails
//
// A message for a later phase waits in an inbox; one for a phase that has
// ended is dropped. The author of a message must be the peer it came from.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "node/config.h"
#include "proto/ceremony.h"

namespace vigil::node {

using proto::CeremonyPlan;

struct CeremonyInputs {
  CeremonyPlan plan;
  ParticipantIndex self = 0;
  const Ed25519KeyPair* identity = nullptr;                 // signs confirmations; as X25519 it opens shares
  std::map<ParticipantIndex, Ed25519PublicKey> identities;  // every member, this node included
  std::optional<v1::StoredKey> current_key;                 // what a resharing dealer deals from
  SecretBytes seed;                                         // drives this node's dealing
  std::int64_t accepted_unix_ms = 0;
};

struct CeremonyOutgoing {
  ParticipantIndex to = 0;
  v1::CeremonyMessage message;
};

enum class CeremonyPhase { kDeal = 1, kComplain, kJustify, kConfirm, kDone, kFailed };
const char* ceremony_phase_name(CeremonyPhase phase);

class Ceremony {
 public:
  // Checks the inputs against the plan: this node's roles, a member
  // identity for everyone, and for a resharing dealer a share of the old
  // epoch whose commitments equal the plan's.
  static Result<std::unique_ptr<Ceremony>> create(CeremonyInputs inputs);
  virtual ~Ceremony() = default;

  // Deals, when this node deals; the same seed gives the same dealing.
  virtual Status start() = 0;
  // One message from `from`: true if it was new (the caller journals it),
  // false for a duplicate or a message for a phase that has ended; an error
  // (the peer misbehaved) for a message this peer may not send.
  virtual Result<bool> receive(ParticipantIndex from, const v1::CeremonyMessage& message) = 0;
  // Ends the current phase if its deadline has passed; true if it did.
  virtual bool tick(std::int64_t now_unix_ms) = 0;

  virtual std::vector<CeremonyOutgoing> take_outbox() = 0;
  // Accepted messages that showed their sender at fault (an undecodable
  // dealing, a bad signature, ...): (peer, what), for logs and metrics.
  virtual std::vector<std::pair<ParticipantIndex, std::string>> take_faults() = 0;
  // Everything this node has sent `peer`, to send again after a reconnect.
  virtual std::vector<v1::CeremonyMessage> sent_to(ParticipantIndex peer) const = 0;

  virtual CeremonyPhase phase() const = 0;
  // Done or failed: it takes no more input.
  bool over() const { return phase() >= CeremonyPhase::kDone; }
  virtual std::int64_t deadline_unix_ms() const = 0;
  virtual v1::CeremonyStatus status() const = 0;
  // Once done: this node's new key, or nothing if it left the committee.
  virtual const std::optional<v1::StoredKey>& key() const = 0;
  virtual const CeremonyPlan& plan() const = 0;
};

}  // namespace vigil::node
