// Runs this node's DKGs and resharings over the peer links: accepts an
// operator's signed plan (POST /v1/ceremonies), feeds the Ceremony state
// machine (ceremony.h) with peer messages and deadlines, journals every input
// so a node killed mid-ceremony replays its way back and continues, and on
// success stores the new key and erases older epochs in one transaction, so
// nothing half-finished is ever served.
//
// Delivery: messages go out as they are produced; a peer that (re)connects
// or accepts the plan later sends "ready", and is then sent everything this
// node produced for the session. Duplicates are ignored on receipt.
#pragma once

#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include "node/ceremony/ceremony.h"
#include "node/metrics.h"
#include "node/release/decryption_service.h"
#include "node/store/store.h"
#include "node/token_bucket.h"
#include "vigil/clock.h"

namespace vigil::node {

class CeremonyManager {
 public:
  using Sender = std::function<bool(ParticipantIndex, const v1::CeremonyMessage&)>;

  // `rng` draws each ceremony's seed, from whichever thread starts it: it
  // must be thread-safe (system_rng() is).
  CeremonyManager(boost::asio::io_context& io, CeremonySettings settings, const Ed25519KeyPair& identity, Store& store,
                  DecryptionService& service, Metrics& metrics, const Clock& clock, Rng& rng);
  ~CeremonyManager();

  // Set before resume(): where outgoing messages go (PeerTransport::send in
  // vigild), and who hears that the served key changed.
  void set_sender(Sender send) { send_ = std::move(send); }
  void set_key_listener(std::function<void(std::uint32_t epoch)> listener) { key_listener_ = std::move(listener); }

  // Picks up the latest ceremony: a running one is rebuilt from its journal
  // and continues (or ends on its deadlines); a finished one is reported.
  Status resume();
  // Checks the operator's signature and the plan, persists it, deals. The
  // plan of the ceremony this node already runs or last finished, posted
  // again (a coordinator retrying after a lost response or a restart), gets
  // that ceremony's status and starts nothing.
  Result<v1::CeremonyStatus> start(const v1::StartCeremonyRequest& request);
  std::optional<v1::CeremonyStatus> status() const;

  // From the peer links (any thread).
  void on_message(ParticipantIndex from, const v1::CeremonyMessage& message);
  void on_link_up(ParticipantIndex peer);

  void stop();

 private:
  Result<std::unique_ptr<Ceremony>> build(CeremonyPlan plan, SecretBytes seed, std::int64_t accepted_unix_ms);
  bool running() const;
  std::optional<v1::CeremonyStatus> status_locked() const;
  void journal(const v1::CeremonyEvent& event);
  void flush();
  void send_ready();
  void after_input(CeremonyPhase before);
  void schedule();
  void conclude();
  // While awaiting a certificate: "ready" to every member once per phase
  // timeout, so a certificate lost in transit is sent again.
  void ask_for_certificate();

  const CeremonySettings settings_;
  const Ed25519KeyPair& identity_;
  Store& store_;
  DecryptionService& service_;
  Metrics& metrics_;
  const Clock& clock_;
  Rng& rng_;
  Sender send_;
  std::function<void(std::uint32_t)> key_listener_;

  mutable std::mutex mutex_;
  boost::asio::steady_timer timer_;
  std::unique_ptr<Ceremony> ceremony_;          // kept after it ends, to answer late "ready"s
  std::optional<v1::CeremonyStatus> finished_;  // the outcome once recorded
  std::string plan_bytes_;                      // the signed plan of that ceremony, as accepted
  std::int64_t seq_ = 0;
  bool journal_broken_ = false;  // an input failed to reach the journal or the disk
  std::uint64_t cpu_at_start_us_ = 0;
  // How often a member's "ready" is answered with everything sent to it.
  static constexpr double kResendsPerSecond = 2;
  static constexpr double kResendBurst = 8;
  std::map<ParticipantIndex, TokenBucket> resends_;
};

}  // namespace vigil::node
