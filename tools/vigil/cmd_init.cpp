// vigil init, vigil import-share and vigil rotate-master-key: setting up and
// looking after one node of a real, multi-machine cluster
// (docs/deployment.md walks through it).
#include <cctype>
#include <map>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "cli.h"
#include "cluster_entry.h"
#include "deal_file.h"
#include "files.h"
#include "node/provision.h"
#include "node/store/store.h"
#include "node_setup.h"
#include "protected_client.h"

namespace vigil::cli {
namespace {

namespace fs = std::filesystem;

// Operator names are written into node.toml and logs: a plain word.
bool valid_operator_name(const std::string& name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '_' || ch == '-' || ch == '.' || ch == '@';
  });
}
constexpr const char* kOperatorNameRule = "letters, digits, _ - . @, at most 64";

// A cluster description, shared by the operators (vigil describe-cluster):
//   { "nodes": [ { "index": 1, "peer": "10.0.0.1:7100", "identity": hex, "share_key": hex } ],
//     "operators": [ { "name": "ops", "key": hex } ] }   // may start DKG and resharing
Status apply_description(node::NodeConfig& config, const std::string& path, const Ed25519PublicKey& own_identity) {
  VIGIL_ASSIGN_OR_RETURN(std::string text, read_file(path, 1u << 20));
  auto j = nlohmann::json::parse(text, nullptr, false);
  auto bad = [&](const std::string& why) { return make_error(ErrorCode::kBadEncoding, path + ": " + why); };
  if (j.is_discarded() || !j.is_object() || !j.contains("nodes") || !j["nodes"].is_array())
    return bad("expected {\"nodes\": [...]}");
  if (j.contains("requesters")) {
    return bad("requesters: no longer read: who may recover a secret is named by its own release policy");
  }
  bool found_self = false;
  std::set<ParticipantIndex> indices;
  for (const auto& n : j["nodes"]) {
    auto entry = parse_node_entry(n);
    if (!entry) return bad("nodes[]: " + entry.error().message);
    if (!indices.insert(entry->index).second) return bad("index " + std::to_string(entry->index) + " is listed twice");
    if (entry->index == config.index) {
      if (entry->identity != own_identity) {
        return bad("node " + std::to_string(entry->index) + "'s identity is not this node's key");
      }
      found_self = true;
      continue;
    }
    if (entry->identity == own_identity) {
      return bad("node " + std::to_string(entry->index) + " has this node's identity");
    }
    config.peers.push_back({entry->index, entry->peer, entry->identity});
  }
  if (!found_self) return bad("lists no node with index " + std::to_string(config.index));
  const auto& ops = j.contains("operators") ? j["operators"] : nlohmann::json::array();
  if (!ops.is_array()) return bad("operators: expected a list");
  for (const auto& r : ops) {
    if (!r.is_object() || !r.contains("name") || !r["name"].is_string() ||
        !valid_operator_name(r["name"].get<std::string>())) {
      return bad(std::string("operators[].name: ") + kOperatorNameRule);
    }
    auto key = r.contains("key") && r["key"].is_string()
                   ? from_hex_exact(r["key"].get<std::string>(), 32)
                   : Result<Bytes>(make_error(ErrorCode::kBadEncoding, "missing"));
    if (!key) return bad("operators[].key: expected 64 hex digits");
    node::NamedKey named{r["name"].get<std::string>(), {}};
    std::copy(key->begin(), key->end(), named.key.begin());
    config.operators.push_back(named);
  }
  return {};
}

// The entry an operator sends to the others for the cluster description:
// what they pin for this node.
std::string cluster_entry_json(ParticipantIndex index, const node::Endpoint& peer_address,
                               const Ed25519KeyPair& identity) {
  return nlohmann::json{{"index", index},
                        {"peer", peer_address.to_string()},
                        {"identity", to_hex(identity.public_key)},
                        {"share_key", to_hex(ed25519_to_x25519(identity).public_key)}}
             .dump(2) +
         "\n";
}

// An operator's public key: a FILE.pub of vigil keygen, or its hex.
Result<Ed25519PublicKey> read_public_key_arg(const std::string& arg) {
  std::error_code ec;
  if (fs::is_regular_file(arg, ec)) return read_public_key_file(arg);
  return parse_public_key_hex(arg, "--operator");
}

// vigil describe-cluster: the nodes' cluster-entry.json files and the
// operators' public keys, checked and merged into one cluster description.
int run_describe_cluster(const std::vector<std::string>& entries, const std::vector<std::string>& operators,
                         const std::string& out) {
  std::map<ParticipantIndex, NodeEntry> nodes;
  std::set<Ed25519PublicKey> identities;
  std::set<std::string> addresses;
  for (const auto& path : entries) {
    auto text = read_file(path, 1u << 16);
    if (!text) return fail("describe-cluster", text.error(), kExitUsage);
    auto bad = [&](const std::string& why) {
      return fail("describe-cluster", path + ": " + why + " (expected a node's cluster-entry.json)", kExitUsage);
    };
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
    auto entry = parse_node_entry(j);
    if (!entry) return bad(entry.error().message);
    if (nodes.contains(entry->index)) return bad("a second entry for index " + std::to_string(entry->index));
    if (!identities.insert(entry->identity).second) return bad("identity already listed for another index");
    if (!addresses.insert(entry->peer.to_string()).second) return bad("peer address already listed for another index");
    nodes.emplace(entry->index, *entry);
  }
  auto description = nlohmann::json{{"nodes", nlohmann::json::array()}, {"operators", nlohmann::json::array()}};
  ParticipantIndex expected = 1;
  for (const auto& [index, entry] : nodes) {
    if (index != expected) {
      std::cerr << "describe-cluster: note: no entry for index " << expected << " (indices need not be contiguous, "
                << "but a DKG numbers its nodes 1..n)\n";
    }
    expected = index + 1;
    // Only the checked fields, the share key derived: nothing else passes.
    description["nodes"].push_back({{"index", index},
                                    {"peer", entry.peer.to_string()},
                                    {"identity", to_hex(entry.identity)},
                                    {"share_key", to_hex(entry.share_key)}});
  }
  std::set<std::string> names;
  for (const auto& spec : operators) {
    const auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0) {
      return fail("describe-cluster", "--operator " + spec + ": expected NAME=FILE.pub (or NAME=hex)", kExitUsage);
    }
    const auto name = spec.substr(0, eq);
    if (!valid_operator_name(name)) {
      return fail("describe-cluster", "--operator " + name + ": a name is " + kOperatorNameRule, kExitUsage);
    }
    if (!names.insert(name).second) return fail("describe-cluster", "operator " + name + " given twice", kExitUsage);
    auto key = read_public_key_arg(spec.substr(eq + 1));
    if (!key) return fail("describe-cluster", key.error(), kExitUsage);
    description["operators"].push_back({{"name", name}, {"key", to_hex(*key)}});
  }
  if (auto s = write_file(out, description.dump(2) + "\n", FileMode::kPublic, true); !s) {
    return fail("describe-cluster", s.error());
  }
  std::cout << "wrote " << out << ": " << nodes.size() << " node(s), " << names.size()
            << " operator(s); every operator now runs vigil init ... --cluster " << out << " --force\n";
  return kExitOk;
}

}  // namespace

void register_init(CLI::App& app, int& exit_code) {
  struct Options {
    std::string data_dir, peer_listen = "0.0.0.0:7100", api_listen = "127.0.0.1:8100", peer_address, cluster;
    ParticipantIndex index = 0;
    bool force = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("init",
                                 "Set up one node of a cluster: create its identity and master key (once) and\n"
                                 "write DATA_DIR/node.toml. With --cluster, pin the peers and operators of a\n"
                                 "cluster description. Prints the keys the operators exchange.");
  cmd->add_option("--data-dir", o->data_dir, "The node's data folder (created if missing)")->required();
  cmd->add_option("--index", o->index, "This node's participant index")->required();
  auto* peer_flag = cmd->add_option("--peer-listen", o->peer_listen,
                                    "Peer address to listen on (default 0.0.0.0:7100, or what node.toml has)");
  auto* api_flag = cmd->add_option("--api-listen", o->api_listen,
                                   "Client API address (default 127.0.0.1:8100, or what node.toml has)");
  cmd->add_option("--peer-address", o->peer_address,
                  "HOST:PORT the other nodes dial to reach this one (default: the peer listen address,\n"
                  "unless that is 0.0.0.0); written to DATA_DIR/cluster-entry.json for the key exchange");
  cmd->add_option("--cluster", o->cluster,
                  "Cluster description, from vigil describe-cluster (JSON: nodes with their peer\n"
                  "address and identity, operators who may start a DKG or resharing)")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--force", o->force,
                "Replace an existing node.toml (its listen addresses, limits and logging are kept unless given)");
  cmd->callback([o, peer_flag, api_flag, &exit_code] {
    if (o->index == 0 || o->index > kMaxParticipants) {
      return void(exit_code = fail("init", "--index: from 1 to " + std::to_string(kMaxParticipants), kExitUsage));
    }
    const fs::path dir = fs::absolute(o->data_dir);
    auto identity = node::provision_data_dir(dir);
    if (!identity) return void(exit_code = fail("init", identity.error()));
    // Run again (say, to pin a cluster description), init starts from the
    // node's config: what was set by hand is not silently reset.
    node::NodeConfig config;
    const fs::path existing = dir / "node.toml";
    const bool rewrite = o->force && fs::exists(existing);
    if (rewrite) {
      auto loaded = node::load_node_config(existing);
      if (!loaded) {
        return void(exit_code = fail("init", loaded.error().message + " (move it away to start afresh)", kExitUsage));
      }
      config = std::move(loaded).value();
      if (!o->cluster.empty()) {  // pinned again from the description
        config.peers.clear();
        config.operators.clear();
      }
    }
    config.index = o->index;
    config.data_dir = dir;
    auto peer = node::parse_endpoint(o->peer_listen), api = node::parse_endpoint(o->api_listen);
    if (!peer) return void(exit_code = fail("init", "--peer-listen: " + peer.error().message, kExitUsage));
    if (!api) return void(exit_code = fail("init", "--api-listen: " + api.error().message, kExitUsage));
    if (!rewrite || peer_flag->count() > 0) config.peer_listen = *peer;
    if (!rewrite || api_flag->count() > 0) config.api_listen = *api;
    if (!o->cluster.empty()) {
      if (auto s = apply_description(config, o->cluster, identity->public_key); !s) {
        return void(exit_code = fail("init", s.error(), kExitUsage));
      }
    }
    // data_dir "." (node.toml's own folder): the folder can be moved or
    // mounted elsewhere, as a container does, and still start.
    auto rendered = config;
    rendered.data_dir = ".";
    const std::string toml = node::render_node_config(rendered);
    // What vigild will read must be what was meant: the same peers,
    // operators and settings, and nothing a crafted name smuggled in.
    auto reread = node::parse_node_config(toml, dir);
    if (!reread || reread->peers.size() != config.peers.size() || reread->operators.size() != config.operators.size() ||
        reread->attestation_test_root != config.attestation_test_root) {
      return void(exit_code = fail("init",
                                   "the config would not read back as written" +
                                       (reread ? std::string() : ": " + reread.error().message),
                                   kExitUsage));
    }
    if (auto s = write_file(dir / "node.toml", toml, FileMode::kPublic, o->force); !s) {
      return void(exit_code = fail("init", s.error()));
    }
    // The key-exchange entry: written when this run knows the address peers
    // dial (given, or a specific listen address), kept otherwise.
    std::optional<node::Endpoint> dialled;
    if (!o->peer_address.empty()) {
      auto given = node::parse_endpoint(o->peer_address);
      if (!given || is_wildcard(*given) || given->port == 0) {
        return void(exit_code = fail("init", "--peer-address: expected the HOST:PORT peers dial", kExitUsage));
      }
      dialled = *given;
    } else if (!rewrite && !is_wildcard(config.peer_listen) && config.peer_listen.port != 0) {
      dialled = config.peer_listen;
    }
    const fs::path entry_path = dir / "cluster-entry.json";
    if (dialled) {
      if (auto s =
              write_file(entry_path, cluster_entry_json(config.index, *dialled, *identity), FileMode::kPublic, true);
          !s) {
        return void(exit_code = fail("init", s.error()));
      }
    }
    std::cout << "node " << config.index << " in " << dir.string() << "\n"
              << "  identity (pin in peers' configs)   " << to_hex(identity->public_key) << "\n"
              << "  share key (a dealer's recipient)   " << to_hex(ed25519_to_x25519(*identity).public_key) << "\n"
              << "  config                             " << (dir / "node.toml").string() << "\n"
              << "  listens: peers " << config.peer_listen.to_string() << ", API " << config.api_listen.to_string()
              << "\n"
              << "  peers pinned: " << config.peers.size() << ", operators: " << config.operators.size() << "\n";
    if (fs::exists(entry_path)) {
      std::cout << "  entry for the cluster description  " << entry_path.string() << "\n";
    } else {
      std::cout << "  no cluster-entry.json: the peer listen address is a wildcard; run again with "
                   "--peer-address HOST:PORT (the address the other nodes dial)\n";
    }
  });

  struct DescribeOptions {
    std::vector<std::string> entries, operators;
    std::string out;
  };
  auto describe_options = std::make_shared<DescribeOptions>();
  auto* describe = app.add_subcommand(
      "describe-cluster",
      "Merge the nodes' cluster-entry.json files (written by vigil init) and the operators' public keys\n"
      "into the cluster description every node pins with vigil init --cluster. Checks that indices,\n"
      "identities and peer addresses are each listed once.");
  describe->add_option("ENTRY", describe_options->entries, "Each node's cluster-entry.json")
      ->required()
      ->check(CLI::ExistingFile);
  describe
      ->add_option("--operator", describe_options->operators,
                   "NAME=FILE.pub (or NAME=hex): an operator whose Ed25519 key may approve a DKG or\n"
                   "resharing plan (vigil keygen --type ed25519); repeat for each")
      ->required();
  describe->add_option("--out", describe_options->out, "Where to write the description (replaced if it exists)")
      ->required();
  describe->callback([describe_options, &exit_code] {
    exit_code = run_describe_cluster(describe_options->entries, describe_options->operators, describe_options->out);
  });

  struct ImportOptions {
    std::string config, deal;
  };
  auto io = std::make_shared<ImportOptions>();
  auto* import = app.add_subcommand("import-share",
                                    "Import this node's share from a deal file: open the share sealed to the\n"
                                    "node's identity, check it, and store it sealed under the master key.");
  import->add_option("--config", io->config, "The node's node.toml")->required()->check(CLI::ExistingFile);
  import->add_option("--deal", io->deal, "Deal file with shares sealed to the nodes")
      ->required()
      ->check(CLI::ExistingFile);
  import->callback([io, &exit_code] {
    auto config = node::load_node_config(io->config);
    if (!config) return void(exit_code = fail("import-share", config.error(), kExitUsage));
    auto identity = node::load_identity(config->data_dir);
    if (!identity) return void(exit_code = fail("import-share", identity.error()));
    auto text = read_file(io->deal);
    if (!text) return void(exit_code = fail("import-share", text.error(), kExitUsage));
    auto deal = parse_deal_file(*text);
    if (!deal) return void(exit_code = fail("import-share", deal.error()));
    exit_code = std::visit(
        [&](const auto& d) -> int {
          using C = typename std::decay_t<decltype(d)>::CurveType;
          if (auto s = import_dealt_share<C>(config->data_dir, *identity, d, config->index); !s) {
            return fail("import-share", s.error());
          }
          std::cout << "node " << config->index << " holds share " << config->index << " of the " << d.threshold()
                    << "-of-" << d.parties() << " " << C::kName << " key " << to_hex(d.group_public_key().encode())
                    << "\n";
          return kExitOk;
        },
        *deal);
  });

  auto rotate_dir = std::make_shared<std::string>();
  auto* rotate = app.add_subcommand("rotate-master-key",
                                    "Replace a stopped node's master key: re-seal its key shares and any unfinished\n"
                                    "ceremony's seed under a new random key in one transaction, erase the old\n"
                                    "ciphertexts from the database and its log, and overwrite the old master.key.\n"
                                    "Afterwards the old key opens nothing. If interrupted, run it again: it\n"
                                    "finishes the rotation it finds (vigild refuses to start until then).");
  rotate->add_option("--data-dir", *rotate_dir, "The node's data folder")->required()->check(CLI::ExistingDirectory);
  rotate->callback([rotate_dir, &exit_code] {
    const fs::path dir = fs::absolute(*rotate_dir);
    auto count = node::rotate_master_key(dir);
    if (!count) return void(exit_code = fail("rotate-master-key", count.error()));
    std::cout << "master key of " << dir.string() << " rotated: " << count->key_shares << " key share(s) and "
              << count->ceremony_seeds << " ceremony seed(s) re-sealed; the old key opens nothing here any more\n";
  });
}

}  // namespace vigil::cli
