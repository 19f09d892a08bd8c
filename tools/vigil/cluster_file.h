// DIR/cluster.json, written by `vigil cluster up` and read by every command
// that talks to a local cluster: a client::ClusterDescription (what any
// client needs: vigil/client.h) plus what only the local cluster's owner
// needs, its key files and each node's process:
//
//   { "version": 1, "curve": "ristretto255", "threshold": 3, "parties": 5,
//     "key_epoch": 1, "group_public_key": hex, "public_shares": [hex, ...],
//     "requester_key": "requester.key", "operator_key": "operator.key",
//     "nodes": [ { "index": 1, "api": "http://127.0.0.1:8101",
//                  "peer": "127.0.0.1:7101", "pid": 4242, "dir": "node1" } ],
//     "joining": [ ...the same, for nodes a resharing under way added... ] }
#pragma once

#include <algorithm>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/client.h"

namespace vigil::cli {

// A local node's process, beside its entry in the description.
struct LocalProcess {
  std::string peer;  // host:port
  int pid = 0;       // 0 when stopped
  std::string dir;   // data folder, relative to the cluster folder
};

// A node as cluster.json lists it: where it answers, and its process.
struct LocalEntry {
  client::NodeEndpoint endpoint;
  LocalProcess process;
};

struct ClusterFile {
  client::ClusterDescription description;
  std::vector<LocalProcess> processes;  // one per description.nodes entry, in the same order
  // Key files beside cluster.json, for a cluster `vigil cluster up` made
  // (empty for one described by vigil dkg or reshare: its operators and
  // requesters keep their keys where they choose).
  std::string requester_key;
  std::string operator_key;  // signs DKG and resharing plans

  // Nodes started for a resharing that has not given them shares yet. The
  // description names only nodes that hold one, so these are kept apart:
  // the file still loads and describes the key the cluster serves, and
  // `cluster down` stops them if the resharing never finishes.
  std::vector<LocalEntry> joining;

  // Adds a node and its process.
  void add_node(client::NodeEndpoint endpoint, LocalProcess process) {
    description.nodes.push_back(std::move(endpoint));
    processes.push_back(std::move(process));
  }
  // The joining nodes become members (their resharing gave them shares).
  void admit_joining() {
    for (auto& j : joining) add_node(std::move(j.endpoint), std::move(j.process));
    joining.clear();
  }
  // Every node's endpoint, members then joining.
  std::vector<client::NodeEndpoint> all_nodes() const {
    std::vector<client::NodeEndpoint> all = description.nodes;
    for (const auto& j : joining) all.push_back(j.endpoint);
    return all;
  }
  bool is_joining(ParticipantIndex index) const {
    return std::ranges::any_of(joining, [&](const LocalEntry& e) { return e.endpoint.index == index; });
  }
  // The process of node `index`, member or joining; nullptr if none.
  LocalProcess* process_of(ParticipantIndex index) {
    for (std::size_t i = 0; i < description.nodes.size() && i < processes.size(); ++i) {
      if (description.nodes[i].index == index) return &processes[i];
    }
    for (auto& j : joining) {
      if (j.endpoint.index == index) return &j.process;
    }
    return nullptr;
  }
};

inline constexpr std::size_t kMaxClusterFileBytes = 1u << 20;

Result<ClusterFile> load_cluster(const std::filesystem::path& dir);
// The text of a cluster.json; `where` names it in errors.
Result<ClusterFile> parse_cluster_file(std::string_view text, const std::string& where);
Status save_cluster(const std::filesystem::path& dir, const ClusterFile& cluster);
// Reads cluster.json, applies `change` and writes it back, holding a lock
// (flock on DIR/cluster.json.lock) so that two commands changing one
// cluster (a coordinator recording a key while an operator restarts a node)
// each keep the other's change. Nothing is written if `change` fails.
Status update_cluster(const std::filesystem::path& dir, const std::function<Status(ClusterFile&)>& change);

// The requester key of encrypt and decrypt --cluster: `given` (--requester-key)
// if set, else the cluster's own requester.key.
Result<Ed25519KeyPair> load_requester_key(const std::filesystem::path& dir, const ClusterFile& cluster,
                                          const std::string& given);

}  // namespace vigil::cli
