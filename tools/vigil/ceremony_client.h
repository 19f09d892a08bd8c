// Coordinating a DKG or resharing through node APIs: the operator signs a
// plan, every node taking part receives it (POST /v1/ceremonies), and the
// coordinator follows GET /v1/status until each node has finished, printing
// the phase and who is still awaited. The coordinator holds no secret but
// its operator key and sees nothing the nodes do not publish.
#pragma once

#include <chrono>
#include <map>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "cluster_file.h"
#include "vigil/ed25519.h"
#include "vigil/group.h"
#include "vigil/v1/node.pb.h"

namespace vigil::cli {

Result<v1::StatusResponse> fetch_status(const std::string& api, std::chrono::milliseconds timeout);

// Polls until every node reports each of its pinned peers connected.
Status wait_for_links(const std::vector<client::NodeEndpoint>& nodes, std::chrono::milliseconds timeout,
                      std::ostream& progress);

// A fresh plan with a random session id.
// How long a plan the coordinator makes stays valid for the nodes to accept.
inline constexpr std::chrono::milliseconds kPlanValidity{10 * 60 * 1000};

v1::CeremonyPlan dkg_plan(CurveId curve, std::size_t parties, std::size_t threshold,
                          std::chrono::milliseconds phase_timeout);
// A resharing of the key `current` (a node's status) to nodes 1..parties, dealt by `dealers`.
// kBadEncoding if the status names a curve this tool does not know.
Result<v1::CeremonyPlan> reshare_plan(const v1::StatusResponse& current, const std::vector<ParticipantIndex>& dealers,
                                      std::size_t parties, std::size_t threshold,
                                      std::chrono::milliseconds phase_timeout);

struct CeremonyReport {
  v1::StatusResponse committee;  // node 1's status after the ceremony: key, epoch, public shares
  std::map<ParticipantIndex, v1::CeremonyStatus> nodes;
  double wall_ms = 0;  // first node's acceptance to the last node's finish, by the nodes' clocks
};

// Copies a node's key (curve, threshold, epoch, group key, public shares) into a cluster description.
Status record_key(ClusterFile& cluster, const v1::StatusResponse& status);

// Starts the ceremony on every node in `nodes` (each must take part), with
// the plan approved by each of `operator_keys`, and waits for all to
// finish. Fails naming each node that failed or disagreed.
Result<CeremonyReport> run_ceremony(const std::vector<client::NodeEndpoint>& nodes, const v1::CeremonyPlan& plan,
                                    std::span<const Ed25519KeyPair* const> operator_keys, std::ostream& progress);

// run_ceremony for a DKG plan, unless every node in `nodes` already holds
// the key of one finished DKG (a coordinator killed or cut off after
// starting it): that outcome is then checked as run_ceremony checks its own
// and returned, since nodes holding a key refuse another DKG.
Result<CeremonyReport> run_or_adopt_dkg(const std::vector<client::NodeEndpoint>& nodes, const v1::CeremonyPlan& plan,
                                        std::span<const Ed25519KeyPair* const> operator_keys, std::ostream& progress);

}  // namespace vigil::cli
