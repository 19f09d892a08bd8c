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
//   deal      one dealing from every dealer: commitments, proof of knowledge
//             and every recipient's sealed share, as one bundle
//   complain  every member's end of the deal phase; a recipient complains
//             (one statement per accused dealer) as it ends the deal phase,
//             and an accused dealer answers at once
//   justify   a right justification for every open complaint, and every
//             member's end of the complain phase
//   confirm   confirmations (the transcript: group key and each qualified
//             dealing's digest) from enough of the new committee
//
// Signed statements, relayed. Every dealing, complaint, justification and
// confirmation is a statement signed by its author over the session, its
// slot (author, kind, subject) and its body's digest (proto/ceremony.h), so
// it means the same whoever delivers it. When a node ends a phase it echoes
// to every member the signed digests of the statements it accepted since
// its last echo; a member that lacks one fetches it from each echoer (one
// request per peer and slot at a time, so a peer that never answers cannot
// hide it), and does not end a phase while a statement that still counts
// is on its way. One node, or a broken link, therefore cannot show a
// statement to some nodes and hide it from the rest: a dealer that
// withholds its bundle from two nodes, or a complainer that accuses a
// dealer before one node only, reaches them all through the others.
// Because a phase ends early only once every member has echoed the end of
// the one before, whatever any honest node accepted in a phase is known to
// all before they move past the next. A statement counts in its own phase
// and, for a complaint, in the next one too, but then only relayed by a
// member other than its author: an honest member that accepted it in time
// echoed it to everyone, while one its author sends late may have reached
// one node only.
//
// One body per slot. A complaint's body is canonical (rebuilt from its slot
// and compared) and a justification has one right share, so only a dealing
// can be signed twice to effect:
// two signed digests of one dealer's dealing prove it dealt twice, the
// proof travels in the echoes, and every node leaves that dealer out of
// the key. A wrong justification answers nothing and is neither kept nor
// relayed: the complaint stays open until the right one arrives (before or
// after the complaint itself) or the phase ends, so the order in which
// nodes see a dealer's answers cannot split them.
//
// The finish rule, and when the old epoch is erased. A node is done, stores
// the new key and erases older epochs, once q members of the new committee
// (itself included) signed a confirmation of its transcript, with
//
//   q = min(n, max(t + 1, floor((n + 1) / 2) + 1))
//
// for a t-of-n committee. A member that also signed a confirmation of
// another transcript still counts. It holds against one faulty node:
//   - t + 1 confirmers include at least t honest nodes, each of which
//     computed its share of exactly that key before confirming, so the new
//     key is usable without the faulty node, and erasing the old epoch
//     loses nothing (the next point sees to it that those t finish too);
//   - a node that is done sends every member a certificate: q of the
//     signed confirmations it counted. A member holding the same transcript
//     is done on it whenever it arrives, even after failing on its own
//     deadline: a node that confirmed (or, leaving the committee, holds the
//     transcript) keeps the previous epoch and stays "awaiting" a
//     certificate, across restarts (the store keeps its seed and journal),
//     asking its peers again each phase timeout and whenever a link comes
//     up. It starts no other ceremony unless a plan signed by its operators
//     names the awaited session in abandons_session: giving a confirmed key
//     up is the operators' decision, and they must make it on every node, or
//     a late certificate would complete only the nodes that did not;
//   - two sets of floor((n + 1) / 2) + 1 confirmers share at least two
//     nodes, one of them honest, and an honest node confirms one transcript:
//     no two nodes are ever done with different keys, whatever the faulty
//     node signs for whom;
//   - with one faulty node silent, the n - 1 honest nodes still reach q
//     when n - 1 >= q (t <= n - 2 and n >= 4). Otherwise every node's
//     confirmation is needed, and a silent node fails the ceremony
//     everywhere, each node keeping the previous epoch, rather than leave a
//     key that needs the silent node.
//
// What remains timing-dependent: the rules above make every honest node
// see the same statements when messages between honest nodes arrive well
// within a phase (the deadlines are the synchrony assumption), and cost a
// faulty or cut-off node's peers its phases' deadlines (deal, complain,
// justify), not the outcome. A faulty dealer that releases its dealing, or
// its right justification, to one node at the very end of a phase, after
// the others ended it on its deadline, can still leave that node with
// another view; that node then fails the ceremony while the others are
// done, and the key is still held by at least t honest nodes (a refresh
// brings the node back). The journal is written without an fsync per
// input: a power loss (not a crash) can lose its tail, and a node that
// replays a shorter journal may confirm a second transcript.
//
// A statement for a later phase waits until this node reaches it; one for a phase
// that has ended is dropped.
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
  const Ed25519KeyPair* identity = nullptr;                 // signs statements; as X25519 it opens shares
  std::map<ParticipantIndex, Ed25519PublicKey> identities;  // every member, this node included
  std::optional<v1::StoredKey> current_key;                 // what a resharing dealer deals from
  SecretBytes seed;                                         // drives this node's dealing
  std::int64_t accepted_unix_ms = 0;

  CeremonyInputs() = default;
  CeremonyInputs(CeremonyInputs&&) = default;
  CeremonyInputs& operator=(CeremonyInputs&&) = default;
  CeremonyInputs(const CeremonyInputs&) = delete;
  CeremonyInputs& operator=(const CeremonyInputs&) = delete;
  ~CeremonyInputs();  // wipes current_key's secret share (protobuf would free it unwiped)
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
  // Done or failed: it takes no more input, except, when it failed after
  // confirming, a certificate that completes it (awaiting_certificate()).
  bool over() const { return phase() >= CeremonyPhase::kDone; }
  virtual bool awaiting_certificate() const = 0;
  virtual std::int64_t deadline_unix_ms() const = 0;
  virtual v1::CeremonyStatus status() const = 0;
  // Once done: this node's new key, or nothing if it left the committee.
  virtual const std::optional<v1::StoredKey>& key() const = 0;
  // Once the outcome is stored (not while awaiting a certificate): wipes the
  // seed, the dealing polynomial, the old and received shares, the opening
  // key and the new key's share from memory. Status and fetches still work.
  virtual void erase_secrets() = 0;
  virtual const CeremonyPlan& plan() const = 0;
};

}  // namespace vigil::node
