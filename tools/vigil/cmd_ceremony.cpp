// vigil dkg and vigil reshare: the coordinator of a real deployment. They
// talk to the nodes' client APIs only: the operator signs the plan, each
// node checks it against its [[operators]] and runs the ceremony with its
// peers over their TLS links.
#include <set>
#include <sstream>

#include "ceremony_client.h"
#include "cli.h"
#include "cluster_file.h"
#include "vigil/shamir.h"

namespace vigil::cli {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

struct Target {
  client::NodeEndpoint api;
  v1::StatusResponse status;
};

// Every URL's node index (from its status), each index once.
Result<std::vector<Target>> discover(const std::vector<std::string>& urls) {
  std::vector<Target> out;
  std::set<ParticipantIndex> seen;
  for (std::string url : urls) {
    while (!url.empty() && url.back() == '/') url.pop_back();
    VIGIL_ASSIGN_OR_RETURN(v1::StatusResponse s, fetch_status(url, milliseconds(5000)));
    if (!seen.insert(s.node_index()).second) {
      return make_error(ErrorCode::kInvalidInput,
                        url + " is node " + std::to_string(s.node_index()) + ", listed twice");
    }
    out.push_back({{s.node_index(), url}, std::move(s)});
  }
  return out;
}

std::vector<client::NodeEndpoint> apis(const std::vector<Target>& targets) {
  std::vector<client::NodeEndpoint> out;
  for (const auto& t : targets) out.push_back(t.api);
  return out;
}

// DIR/cluster.json for `vigil encrypt|decrypt --cluster DIR`.
Status write_description(const std::string& dir, const std::vector<Target>& nodes, const v1::StatusResponse& key,
                         std::size_t parties) {
  ClusterFile c;
  VIGIL_RETURN_IF_ERROR(record_key(c, key));
  std::vector<client::NodeEndpoint> members;
  for (const auto& n : nodes) {
    if (n.api.index <= parties) members.push_back(n.api);
  }
  std::sort(members.begin(), members.end(), [](const auto& a, const auto& b) { return a.index < b.index; });
  for (auto& m : members) c.add_node(std::move(m), {});
  fs::create_directories(dir);
  VIGIL_RETURN_IF_ERROR(save_cluster(dir, c));
  std::cout << "wrote " << (fs::path(dir) / "cluster.json").string() << ": the key and the nodes, for --cluster " << dir
            << " in place of --nodes\n";
  return {};
}

void summarise(const CeremonyReport& report) {
  const auto& k = report.committee;
  std::cout << k.threshold() << "-of-" << k.parties() << " " << k.curve() << " key, epoch " << k.key_epoch() << "\n"
            << "group public key " << to_hex(as_bytes(k.group_public_key())) << "\n"
            << "done in " << report.wall_ms << " ms\n";
}

// The operators' signing keys, one per file.
Result<std::vector<Ed25519KeyPair>> read_operator_keys(const std::vector<std::string>& paths) {
  std::vector<Ed25519KeyPair> keys;
  for (const auto& path : paths) {
    VIGIL_ASSIGN_OR_RETURN(Ed25519KeyPair key, read_signing_key_file(path));
    keys.push_back(std::move(key));
  }
  return keys;
}

std::vector<const Ed25519KeyPair*> approvers(const std::vector<Ed25519KeyPair>& keys) {
  std::vector<const Ed25519KeyPair*> out;
  for (const auto& k : keys) out.push_back(&k);
  return out;
}

int run_dkg(const std::vector<std::string>& urls, std::size_t t, const std::string& curve_name_text,
            const std::vector<std::string>& operator_key_paths, milliseconds phase_timeout, const std::string& out) {
  auto ops = read_operator_keys(operator_key_paths);
  if (!ops) return fail("dkg", ops.error(), kExitUsage);
  auto nodes = discover(urls);
  if (!nodes) return fail("dkg", nodes.error());
  const std::size_t n = nodes->size();
  if (auto s = check_threshold(n, t); !s) return fail("dkg", s.error(), kExitUsage);
  for (const auto& node : *nodes) {
    if (node.api.index < 1 || node.api.index > n) {
      return fail("dkg",
                  "node indices must be 1.." + std::to_string(n) + "; " + node.api.api + " is node " +
                      std::to_string(node.api.index),
                  kExitUsage);
    }
  }
  auto report = run_or_adopt_dkg(apis(*nodes), dkg_plan(parse_curve_name(curve_name_text).value(), n, t, phase_timeout),
                                 approvers(*ops), std::cout);
  if (!report) return fail("dkg", report.error());
  summarise(*report);
  if (!out.empty()) {
    if (auto s = write_description(out, *nodes, report->committee, n); !s) return fail("dkg", s.error());
  }
  return kExitOk;
}

int run_reshare(const std::vector<std::string>& urls, std::size_t n2, std::size_t t2,
                const std::vector<std::string>& operator_key_paths, milliseconds phase_timeout,
                const std::string& out) {
  auto ops = read_operator_keys(operator_key_paths);
  if (!ops) return fail("reshare", ops.error(), kExitUsage);
  if (auto s = check_threshold(n2, t2); !s) return fail("reshare", s.error(), kExitUsage);
  auto nodes = discover(urls);
  if (!nodes) return fail("reshare", nodes.error());
  // The current key is the newest epoch any listed node holds; its holders deal.
  const v1::StatusResponse* current = nullptr;
  for (const auto& node : *nodes) {
    if (node.status.key_epoch() > 0 && (!current || node.status.key_epoch() > current->key_epoch()))
      current = &node.status;
  }
  if (!current) return fail("reshare", "none of the listed nodes holds a key");
  std::vector<ParticipantIndex> dealers;
  std::set<ParticipantIndex> listed;
  for (const auto& node : *nodes) {
    listed.insert(node.api.index);
    if (node.status.key_epoch() == current->key_epoch() && node.api.index <= current->parties()) {
      dealers.push_back(node.api.index);
    }
  }
  std::sort(dealers.begin(), dealers.end());
  for (ParticipantIndex i = 1; i <= n2; ++i) {
    if (!listed.count(i))
      return fail("reshare", "node " + std::to_string(i) + " of the new committee is not listed", kExitUsage);
  }
  std::vector<Target> taking_part;
  for (const auto& node : *nodes) {
    if (node.api.index <= n2 || std::find(dealers.begin(), dealers.end(), node.api.index) != dealers.end()) {
      taking_part.push_back(node);
    }
  }
  auto plan = reshare_plan(*current, dealers, n2, t2, phase_timeout);
  if (!plan) return fail("reshare", plan.error());
  auto report = run_ceremony(apis(taking_part), *plan, approvers(*ops), std::cout);
  if (!report) return fail("reshare", report.error());
  if (report->committee.group_public_key() != current->group_public_key()) {
    return fail("reshare", "the group key changed: this must never happen");
  }
  summarise(*report);
  if (!out.empty()) {
    if (auto s = write_description(out, taking_part, report->committee, n2); !s) return fail("reshare", s.error());
  }
  return kExitOk;
}

}  // namespace

void register_ceremonies(CLI::App& app, int& exit_code) {
  struct Options {
    std::vector<std::string> nodes;
    std::size_t n = 0, t = 0;
    std::string curve = "ristretto255", out;
    std::vector<std::string> operator_keys;
    unsigned phase_timeout_ms = 30000;
  };
  auto o = std::make_shared<Options>();
  auto common = [o](CLI::App* cmd) {
    cmd->add_option("--nodes", o->nodes, "Client API URLs of the nodes (http://host:port), comma-separated")
        ->required()
        ->delimiter(',');
    cmd->add_option("--operator-key", o->operator_keys,
                    "Ed25519 key listed under [[operators]] (vigil keygen --type ed25519); give it once per\n"
                    "operator whose approval the nodes' [ceremonies] operator_quorum asks for")
        ->required()
        ->check(CLI::ExistingFile);
    cmd->add_option("--phase-timeout-ms", o->phase_timeout_ms, "Deadline of each phase (default 30000)")
        ->check(CLI::Range(100u, 3600000u));
    cmd->add_option("--out", o->out, "Write DIR/cluster.json for vigil encrypt/decrypt --cluster DIR");
  };
  auto* dkg = app.add_subcommand("dkg",
                                 "Coordinate a DKG: the listed nodes (indices 1..n, n = how many are listed)\n"
                                 "generate a t-of-n key that no one ever holds whole. Shows each phase and who\n"
                                 "is awaited; every node verifies the operator's signature on the plan. If every\n"
                                 "node already finished one DKG (this command was interrupted), records its key.");
  common(dkg);
  dkg->add_option("--t", o->t, "Threshold")->required();
  dkg->add_option("--curve", o->curve, "ristretto255 (default) or secp256k1")
      ->check(CLI::IsMember({"ristretto255", "secp256k1"}));
  dkg->callback([o, &exit_code] {
    exit_code = run_dkg(o->nodes, o->t, o->curve, o->operator_keys, milliseconds(o->phase_timeout_ms), o->out);
  });
  auto* reshare = app.add_subcommand("reshare",
                                     "Coordinate a resharing of the cluster's key to nodes 1..N with threshold T.\n"
                                     "List every current node that should deal and every node of the new committee;\n"
                                     "the group key stays, old shares stop working together with new ones, and\n"
                                     "nodes that leave erase theirs.");
  common(reshare);
  reshare->add_option("--n", o->n, "Nodes in the new committee")->required();
  reshare->add_option("--t", o->t, "Threshold of the new committee")->required();
  reshare->callback([o, &exit_code] {
    exit_code = run_reshare(o->nodes, o->n, o->t, o->operator_keys, milliseconds(o->phase_timeout_ms), o->out);
  });
}

}  // namespace vigil::cli
