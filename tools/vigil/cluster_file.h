// DIR/cluster.json, written by `vigil cluster up` and read by every command
// that talks to a local cluster:
//
//   { "version": 1, "curve": "ristretto255", "threshold": 3, "parties": 5,
//     "key_epoch": 1, "group_public_key": hex, "public_shares": [hex, ...],
//     "requester_key": "requester.key", "operator_key": "operator.key",
//     "nodes": [ { "index": 1, "api": "http://127.0.0.1:8101",
//                  "peer": "127.0.0.1:7101", "pid": 4242, "dir": "node1" } ] }
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "vigil/result.h"

namespace vigil::cli {

struct ClusterNode {
  unsigned index = 0;
  std::string api;   // base URL
  std::string peer;  // host:port
  int pid = 0;       // 0 when stopped
  std::string dir;   // data folder, relative to the cluster folder
};

struct ClusterFile {
  std::string curve;
  unsigned threshold = 0;
  std::string group_public_key;            // hex
  std::vector<std::string> public_shares;  // hex, X_1..X_n
  std::uint32_t key_epoch = 1;             // public shares change with the epoch; the group key never does
  std::string requester_key = "requester.key";
  std::string operator_key = "operator.key";  // signs DKG and resharing plans
  std::vector<ClusterNode> nodes;
};

Result<ClusterFile> load_cluster(const std::filesystem::path& dir);
Status save_cluster(const std::filesystem::path& dir, const ClusterFile& cluster);

}  // namespace vigil::cli
