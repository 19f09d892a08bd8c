// vigil init, vigil import-share and vigil rotate-master-key: setting up and
// looking after one node of a real, multi-machine cluster
// (docs/deployment.md walks through it).
#include <nlohmann/json.hpp>

#include "cli.h"
#include "deal_file.h"
#include "files.h"
#include "node/provision.h"
#include "node/store/store.h"
#include "node_setup.h"

namespace vigil::cli {
namespace {

namespace fs = std::filesystem;

// A cluster description, shared by the operators:
//   { "nodes": [ { "index": 1, "peer": "10.0.0.1:7100", "identity": hex } ],
//     "operators": [ { "name": "ops", "key": hex } ] }   // may start DKG and resharing
Status apply_description(node::NodeConfig& config, const std::string& path, const Ed25519PublicKey& own_identity) {
  VIGIL_ASSIGN_OR_RETURN(std::string text, read_file(path, 1u << 20));
  auto j = nlohmann::json::parse(text, nullptr, false);
  auto bad = [&](const std::string& why) { return make_error(ErrorCode::kBadEncoding, path + ": " + why); };
  if (j.is_discarded() || !j.is_object() || !j.contains("nodes") || !j["nodes"].is_array())
    return bad("expected {\"nodes\": [...]}");
  try {
    bool found_self = false;
    for (const auto& n : j["nodes"]) {
      const auto index = n.at("index").get<ParticipantIndex>();
      auto address = node::parse_endpoint(n.at("peer").get<std::string>());
      if (!address) return bad("nodes[].peer: " + address.error().message);
      auto key = from_hex_exact(n.at("identity").get<std::string>(), 32);
      if (!key) return bad("nodes[].identity: expected 64 hex digits");
      Ed25519PublicKey pk{};
      std::copy(key->begin(), key->end(), pk.begin());
      if (index == config.index) {
        if (pk != own_identity) return bad("node " + std::to_string(index) + "'s identity is not this node's key");
        found_self = true;
        continue;
      }
      config.peers.push_back({index, *address, pk});
    }
    if (!found_self) return bad("lists no node with index " + std::to_string(config.index));
    if (j.contains("requesters")) {
      return bad("requesters: no longer read: who may recover a secret is named by its own release policy");
    }
    for (const auto& r : j.value("operators", nlohmann::json::array())) {
      auto key = from_hex_exact(r.at("key").get<std::string>(), 32);
      if (!key) return bad("operators[].key: expected 64 hex digits");
      node::NamedKey named{r.at("name").get<std::string>(), {}};
      std::copy(key->begin(), key->end(), named.key.begin());
      config.operators.push_back(named);
    }
  } catch (const nlohmann::json::exception& e) {
    return bad(e.what());
  }
  return {};
}

}  // namespace

void register_init(CLI::App& app, int& exit_code) {
  struct Options {
    std::string data_dir, peer_listen = "0.0.0.0:7100", api_listen = "127.0.0.1:8100", cluster;
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
  cmd->add_option("--cluster", o->cluster, "Cluster description (JSON: nodes, operators)")->check(CLI::ExistingFile);
  cmd->add_flag("--force", o->force,
                "Replace an existing node.toml (its listen addresses, limits and logging are kept unless given)");
  cmd->callback([o, peer_flag, api_flag, &exit_code] {
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
    if (auto s = write_file(dir / "node.toml", node::render_node_config(config), FileMode::kPublic, o->force); !s) {
      return void(exit_code = fail("init", s.error()));
    }
    std::cout << "node " << config.index << " in " << dir.string() << "\n"
              << "  identity (pin in peers' configs)   " << to_hex(identity->public_key) << "\n"
              << "  share key (a dealer's recipient)   " << to_hex(ed25519_to_x25519(*identity).public_key) << "\n"
              << "  config                             " << (dir / "node.toml").string() << "\n"
              << "  listens: peers " << config.peer_listen.to_string() << ", API " << config.api_listen.to_string()
              << "\n"
              << "  peers pinned: " << config.peers.size() << ", operators: " << config.operators.size() << "\n";
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
