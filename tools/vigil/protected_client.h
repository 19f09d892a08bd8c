// What the commands that talk to a cluster's client API share: where the
// cluster is (--cluster DIR, --nodes URL,...), a ClusterClient on its curve,
// key ids and key files, and each node's outcome printed for people.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "cli.h"
#include "http.h"
#include "vigil/client.h"

namespace vigil::cli {

struct ClusterOptions {
  std::string dir;    // --cluster: a local cluster folder (cluster.json)
  std::string nodes;  // --nodes: API URLs, comma-separated
  unsigned timeout_ms = 5000;

  std::chrono::milliseconds timeout() const { return std::chrono::milliseconds(timeout_ms); }
};

// Adds --cluster, --nodes and --timeout-ms.
void add_cluster_options(CLI::App* cmd, ClusterOptions& options);

// The cluster to talk to: with --nodes, as those nodes report it (every one
// must answer and agree); otherwise from DIR/cluster.json.
Result<client::ClusterDescription> describe_cluster(const ClusterOptions& options);

// Runs f(client) with a ClusterClient on the cluster's curve; f returns the
// exit code.
template <class F>
int with_cluster_client(const std::string& command, const ClusterOptions& options, F&& f) {
  auto description = describe_cluster(options);
  if (!description) return fail(command, description.error(), kExitUsage);
  static SystemClock clock;
  return run_for_curve(command, description->curve, [&](auto curve) -> int {
    auto vault = client::ClusterClient<decltype(curve)>::create(*description, http(), system_rng(), clock);
    if (!vault) return fail(command, vault.error(), kExitUsage);
    return f(*vault);
  });
}

// 64 hex digits, or a file of protect --out, encrypt --cluster --out or the
// agent's state ({"key_id": hex, ...}).
Result<client::KeyId> parse_key_id(const std::string& text);
// A public key file of `vigil keygen` (FILE.pub): 64 hex digits.
Result<Ed25519PublicKey> read_public_key_file(const std::string& path);

// The policy of encrypt and decrypt --cluster: `requester` may recover,
// with no other condition. `enclave` is a one-time key: no heartbeat is
// ever needed.
Policy requester_only(const Ed25519KeyPair& enclave, const Ed25519PublicKey& requester);

// {"key_id": hex, "policy_digest": hex}: what protect --out, encrypt
// --cluster --out and the agent's state file hold, for --key-id FILE.
Status write_key_id_file(const std::string& path, const client::KeyId& key_id, ByteSpan canonical_policy,
                         bool overwrite);

// "  node 3: enclave_alive: ..." for each, to stdout.
void print_problems(const std::vector<client::NodeProblem>& problems);
std::string list_nodes(const std::vector<ParticipantIndex>& nodes);  // "1, 2, 5"

}  // namespace vigil::cli
