#include "protected_client.h"

#include <nlohmann/json.hpp>

#include "cluster_file.h"
#include "files.h"
#include "keys.h"

namespace vigil::cli {

void add_cluster_options(CLI::App* cmd, ClusterOptions& o) {
  cmd->add_option("--cluster", o.dir, "Local cluster folder (cluster.json)")->check(CLI::ExistingDirectory);
  cmd->add_option("--nodes", o.nodes,
                  "Node API URLs, comma-separated (http://host:port,...): remote nodes, or a subset of the\n"
                  "cluster's; the cluster is then described by what those nodes report");
  cmd->add_option("--timeout-ms", o.timeout_ms, "Per-node timeout (default 5000)");
}

Result<client::ClusterDescription> describe_cluster(const ClusterOptions& o) {
  if (!o.nodes.empty()) {
    std::vector<std::string> urls;
    for (std::size_t start = 0; start <= o.nodes.size();) {
      const auto comma = std::min(o.nodes.find(',', start), o.nodes.size());
      if (comma > start) urls.push_back(o.nodes.substr(start, comma - start));
      start = comma + 1;
    }
    return client::fetch_cluster_description(http(), urls, o.timeout());
  }
  if (o.dir.empty()) return make_error(ErrorCode::kInvalidInput, "pass --cluster DIR or --nodes URL,...");
  VIGIL_ASSIGN_OR_RETURN(ClusterFile cluster, load_cluster(o.dir));
  return std::move(cluster.description);
}

Result<client::KeyId> parse_key_id(const std::string& text) {
  auto bytes = from_hex_exact(text, 32);
  std::error_code ec;
  if (!bytes && std::filesystem::is_regular_file(text, ec)) {
    // protect --out, encrypt --cluster --out and the agent's state file.
    VIGIL_ASSIGN_OR_RETURN(std::string contents, read_file(text, 1u << 16));
    auto j = nlohmann::json::parse(contents, nullptr, false);
    if (j.is_object() && j.contains("key_id") && j["key_id"].is_string()) {
      bytes = from_hex_exact(j["key_id"].get<std::string>(), 32);
    }
    if (!bytes) return make_error(ErrorCode::kBadEncoding, text + ": expected {\"key_id\": 64 hex digits}");
  }
  if (!bytes) {
    return make_error(ErrorCode::kBadEncoding,
                      "--key-id: expected 64 hex digits (as protect printed it), or the file of protect --out");
  }
  client::KeyId id{};
  std::copy(bytes->begin(), bytes->end(), id.begin());
  return id;
}

Status write_key_id_file(const std::string& path, const client::KeyId& key_id, ByteSpan canonical_policy,
                         bool overwrite) {
  const nlohmann::json file{{"key_id", to_hex(key_id)}, {"policy_digest", to_hex(policy_digest(canonical_policy))}};
  return write_file(path, file.dump(2) + "\n", FileMode::kPublic, overwrite);
}

Result<Ed25519PublicKey> read_public_key_file(const std::string& path) {
  VIGIL_ASSIGN_OR_RETURN(std::string text, read_file(path, 1024));
  return parse_public_key_hex(text, path);
}

Policy requester_only(const Ed25519KeyPair& enclave, const Ed25519PublicKey& requester) {
  Policy policy;
  policy.enclave_key = enclave.public_key;
  policy.any_of.push_back(PolicyGroup{{}, Requesters{1, {requester}}, {}, {}, {}});
  return policy;
}

void print_problems(const std::vector<client::NodeProblem>& problems) {
  for (const auto& p : problems) std::cout << "  node " << p.index << ": " << p.problem << "\n";
}

std::string list_nodes(const std::vector<ParticipantIndex>& nodes) {
  std::string out;
  for (auto i : nodes) out += (out.empty() ? "" : ", ") + std::to_string(i);
  return out.empty() ? "none" : out;
}

}  // namespace vigil::cli
