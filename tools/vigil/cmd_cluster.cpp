// vigil cluster up | status | down | restart: a local cluster of vigild
// processes on 127.0.0.1, for trying vigil and for tests.
#include <chrono>
#include <iomanip>
#include <map>
#include <sstream>

#include "ceremony_client.h"
#include "cli.h"
#include "cluster_file.h"
#include "deal_file.h"
#include "files.h"
#include "http.h"
#include "local_cluster.h"
#include "node/provision.h"
#include "node_setup.h"
#include "vigil/ed25519.h"

namespace vigil::cli {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

constexpr milliseconds kHealthTimeout{20000};
constexpr milliseconds kLinkTimeout{60000};
constexpr milliseconds kStopGrace{5000};

// One node of a local cluster: its configuration and identity.
struct LocalNode {
  node::NodeConfig config;
  Ed25519PublicKey identity{};
  fs::path config_path() const { return config.data_dir / "node.toml"; }
};

// Creates node `index`'s folder under `root`: identity, master key, free
// ports, and the operator every node trusts.
Result<LocalNode> create_local_node(const fs::path& root, ParticipantIndex index,
                                    const Ed25519PublicKey& operator_key) {
  LocalNode n;
  const fs::path node_dir = root / ("node" + std::to_string(index));
  if (fs::exists(node_dir / "identity.key")) {
    return make_error(ErrorCode::kInvalidInput, node_dir.string() + " already holds a node: remove it first");
  }
  VIGIL_ASSIGN_OR_RETURN(Ed25519KeyPair identity, node::provision_data_dir(node_dir));
  n.identity = identity.public_key;
  n.config.index = index;
  n.config.data_dir = node_dir;
  auto peer_port = free_port(), api_port = free_port();
  if (!peer_port || !api_port) return make_error(ErrorCode::kTransport, "no free ports on 127.0.0.1");
  n.config.peer_listen = {"127.0.0.1", static_cast<std::uint16_t>(*peer_port)};
  n.config.api_listen = {"127.0.0.1", static_cast<std::uint16_t>(*api_port)};
  n.config.operators.push_back({"local", operator_key});
  return n;
}

Result<LocalNode> load_local_node(const fs::path& root, const LocalProcess& process) {
  LocalNode n;
  VIGIL_ASSIGN_OR_RETURN(n.config, node::load_node_config(root / process.dir / "node.toml"));
  VIGIL_ASSIGN_OR_RETURN(Ed25519KeyPair identity, node::load_identity(n.config.data_dir));
  n.identity = identity.public_key;
  return n;
}

// Pins every other node in each node's config and writes it.
Status write_configs(std::vector<LocalNode>& nodes) {
  for (auto& n : nodes) {
    n.config.peers.clear();
    for (const auto& other : nodes) {
      if (other.config.index != n.config.index) {
        n.config.peers.push_back({other.config.index, other.config.peer_listen, other.identity});
      }
    }
    VIGIL_RETURN_IF_ERROR(write_file(n.config_path(), node::render_node_config(n.config), FileMode::kPublic, true));
  }
  return {};
}

// A started node's entry in cluster.json.
LocalEntry entry_of(const LocalNode& n, int pid) {
  return {{n.config.index, "http://" + n.config.api_listen.to_string()},
          {n.config.peer_listen.to_string(), pid, n.config.data_dir.filename().string()}};
}

// Starts a node and waits until it answers; prints one line for it.
Result<int> launch(const fs::path& vigild, const LocalNode& n) {
  const auto start = std::chrono::steady_clock::now();
  VIGIL_ASSIGN_OR_RETURN(int pid, start_node(vigild, n.config_path(), n.config.data_dir / "vigild.log"));
  std::cout << "  node " << n.config.index << "  pid " << std::setw(7) << std::left << pid << " http://"
            << n.config.api_listen.to_string() << "  " << std::flush;
  if (auto s = wait_healthy("http://" + n.config.api_listen.to_string(), pid, kHealthTimeout); !s) {
    std::cout << "FAILED\n";
    return make_error(s.error().code, "node " + std::to_string(n.config.index) + ": " + s.error().message + " (see " +
                                          (n.config.data_dir / "vigild.log").string() + ")");
  }
  std::cout << "healthy in "
            << std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start).count() << " ms\n";
  return pid;
}

void print_timing(const CeremonyReport& report) {
  std::uint64_t max_cpu = 0, total_cpu = 0;
  for (const auto& [index, c] : report.nodes) {
    max_cpu = std::max<std::uint64_t>(max_cpu, c.cpu_us());
    total_cpu += c.cpu_us();
  }
  std::cout << std::fixed << std::setprecision(1) << "done in " << report.wall_ms
            << " ms (nodes' clocks); CPU per node "
            << "mean " << static_cast<double>(total_cpu) / 1000.0 / static_cast<double>(report.nodes.size())
            << " ms, max " << static_cast<double>(max_cpu) / 1000.0 << " ms\n";
}

// How `cluster up` gives the nodes their key.
enum class KeySource { kDkg, kDealer, kNone };

// Records the key a ceremony left in cluster.json as the file is now
// (`cluster restart` may have replaced a node's process meanwhile): nodes a
// resharing added hold shares now and become members. `cluster` becomes
// what was written.
Status record_outcome(const fs::path& root, ClusterFile& cluster, const v1::StatusResponse& committee) {
  return update_cluster(root, [&](ClusterFile& now) -> Status {
    now.admit_joining();
    VIGIL_RETURN_IF_ERROR(record_key(now, committee));
    cluster = now;
    return {};
  });
}

// Runs a DKG on the cluster's nodes and records the key in `cluster`.
Status run_dkg(const fs::path& root, ClusterFile& cluster, std::size_t t, milliseconds phase_timeout) {
  VIGIL_ASSIGN_OR_RETURN(Ed25519KeyPair operator_key, read_signing_key_file(root / cluster.operator_key));
  const auto& nodes = cluster.description.nodes;
  VIGIL_RETURN_IF_ERROR(wait_for_links(nodes, kLinkTimeout, std::cout));
  VIGIL_ASSIGN_OR_RETURN(CeremonyReport report,
                         run_or_adopt_dkg(nodes, dkg_plan(cluster.description.curve, nodes.size(), t, phase_timeout),
                                          std::array{&operator_key}, std::cout));
  print_timing(report);
  return record_outcome(root, cluster, report.committee);
}

template <Curve C>
int cluster_up(const fs::path& dir, std::size_t n, std::size_t t, KeySource source, milliseconds phase_timeout) {
  const bool dealer = source == KeySource::kDealer;
  if (auto s = check_threshold(n, t); !s) return fail("cluster up", s.error(), kExitUsage);
  if (fs::exists(dir / "cluster.json")) {
    return fail("cluster up",
                (dir / "cluster.json").string() + " exists: run vigil cluster down and remove " + dir.string() +
                    ", or choose another --dir",
                kExitUsage);
  }
  auto vigild = find_vigild();
  if (!vigild) return fail("cluster up", vigild.error());
  fs::create_directories(dir);
  const fs::path root = fs::canonical(dir);

  // The operator who signs ceremony plans, and a requester key for the
  // commands that protect and recover under a requester-only policy
  // (encrypt and decrypt --cluster); the nodes trust neither for releases.
  ClusterFile cluster;
  cluster.requester_key = "requester.key";
  cluster.operator_key = "operator.key";
  const auto requester = ed25519_generate(system_rng());
  const auto operator_key = ed25519_generate(system_rng());
  for (const auto& [file, key] :
       {std::pair{cluster.requester_key, &requester}, std::pair{cluster.operator_key, &operator_key}}) {
    if (auto s = write_file(root / file, to_hex(key->seed.span()) + "\n", FileMode::kSecret, false); !s) {
      return fail("cluster up", s.error());
    }
  }
  std::vector<LocalNode> nodes;
  for (std::size_t i = 1; i <= n; ++i) {
    auto node = create_local_node(root, static_cast<ParticipantIndex>(i), operator_key.public_key);
    if (!node) return fail("cluster up", node.error());
    nodes.push_back(std::move(node).value());
  }
  if (auto s = write_configs(nodes); !s) return fail("cluster up", s.error());
  std::cout << "creating a " << t << "-of-" << n << " " << C::kName << " cluster in " << root.string() << "\n";

  if (dealer) {
    // A trusted dealer instead of a DKG: shares sealed to each node's identity,
    // each opened by its node as on a real deployment.
    auto dealt = deal<C>(system_rng(), n, t);
    if (!dealt) return fail("cluster up", dealt.error());
    std::vector<X25519PublicKey> recipients;
    for (const auto& node : nodes) recipients.push_back(ed25519_public_to_x25519(node.identity).value());
    auto deal_file = make_deal_file<C>(system_rng(), *dealt, recipients);
    if (!deal_file) return fail("cluster up", deal_file.error());
    (void)write_file(root / "deal.json", deal_file_to_json(*deal_file).dump(2) + "\n", FileMode::kPublic, true);
    for (const auto& node : nodes) {
      auto identity = node::load_identity(node.config.data_dir);
      if (!identity) return fail("cluster up", identity.error());
      if (auto s = import_dealt_share<C>(node.config.data_dir, *identity, *deal_file, node.config.index); !s) {
        return fail("cluster up", "node " + std::to_string(node.config.index) + ": " + s.error().message);
      }
    }
  }
  // Saved after each start, so that `cluster down` finds every started node even if a later one fails.
  cluster.description.curve = C::kId;
  cluster.description.threshold = t;
  for (const auto& node : nodes) {
    auto pid = launch(*vigild, node);
    auto [endpoint, process] = entry_of(node, pid ? *pid : 0);
    cluster.add_node(std::move(endpoint), std::move(process));
    (void)save_cluster(root, cluster);
    if (!pid) return fail("cluster up", pid.error());
  }
  if (source == KeySource::kDkg) {
    if (auto s = run_dkg(root, cluster, t, phase_timeout); !s) return fail("cluster up", s.error());
  } else if (dealer) {
    auto status = fetch_status(cluster.description.nodes.front().api, milliseconds(5000));
    if (!status) return fail("cluster up", status.error());
    if (auto s = record_key(cluster, *status); !s) return fail("cluster up", s.error());
  } else {
    std::cout << "the nodes hold no key: run vigil cluster dkg --dir " << root.string() << " --t " << t << "\n";
  }
  if (auto s = save_cluster(root, cluster); !s) return fail("cluster up", s.error());
  std::cout << "group public key " << to_hex(cluster.description.group_public_key) << "\n"
            << "wrote " << (root / "cluster.json").string() << "\n";
  return kExitOk;
}

// Reshares the cluster's key to nodes 1..n2 with threshold t2: new nodes are
// created and started first, every node pins every other, the old committee
// deals, and nodes that leave are stopped once they have erased their shares.
int cluster_reshare(const fs::path& dir, std::size_t n2, std::size_t t2, milliseconds phase_timeout) {
  const std::string cmd = "cluster reshare";
  if (auto s = check_threshold(n2, t2); !s) return fail(cmd, s.error(), kExitUsage);
  auto cluster = load_cluster(dir);
  if (!cluster) return fail(cmd, cluster.error(), kExitUsage);
  auto vigild = find_vigild();
  if (!vigild) return fail(cmd, vigild.error());
  const fs::path root = fs::canonical(dir);
  auto operator_key = read_signing_key_file(root / cluster->operator_key);
  if (!operator_key) return fail(cmd, operator_key.error(), kExitUsage);

  // The key as the old committee holds it, and which of its members are up to deal.
  std::optional<v1::StatusResponse> current;
  std::vector<ParticipantIndex> dealers;
  const std::uint32_t epoch = cluster->description.key_epoch;
  for (const auto& node : cluster->description.nodes) {
    auto s = fetch_status(node.api, milliseconds(2000));
    if (!s || s->key_epoch() != epoch) {
      std::cout << "  node " << node.index << " is down or not at epoch " << epoch << ": it will not deal\n";
      continue;
    }
    dealers.push_back(node.index);
    if (!current) current = *s;
  }
  if (!current) return fail(cmd, "no node of the cluster is up with its key");

  std::vector<LocalNode> nodes;
  for (const auto& process : cluster->processes) {
    auto node = load_local_node(root, process);
    if (!node) return fail(cmd, node.error());
    nodes.push_back(std::move(node).value());
  }
  const std::size_t n_old = nodes.size();
  // Nodes that a resharing which did not finish added are taken up again.
  if (!cluster->joining.empty() && n_old + cluster->joining.size() > n2) {
    return fail(cmd, "nodes " + std::to_string(n_old + 1) + ".." + std::to_string(n_old + cluster->joining.size()) +
                         " joined a resharing that did not finish: reshare to at least " +
                         std::to_string(n_old + cluster->joining.size()) + " nodes");
  }
  for (const auto& joining : cluster->joining) {
    auto node = load_local_node(root, joining.process);
    if (!node) return fail(cmd, node.error());
    nodes.push_back(std::move(node).value());
  }
  if (n2 > n_old) {
    for (std::size_t i = nodes.size() + 1; i <= n2; ++i) {
      auto node = create_local_node(root, static_cast<ParticipantIndex>(i), operator_key->public_key);
      if (!node) return fail(cmd, node.error());
      cluster->joining.push_back(entry_of(*node, 0));
      nodes.push_back(std::move(node).value());
    }
    if (auto s = write_configs(nodes); !s) return fail(cmd, s.error());
    // Listed before any starts, so that a run cut short leaves no node or
    // folder that cluster.json does not name.
    if (auto s = save_cluster(root, *cluster); !s) return fail(cmd, s.error());
    std::cout << "adding nodes " << n_old + 1 << ".." << n2 << "; restarting the others to pin them\n";
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      LocalProcess& process = i < n_old ? cluster->processes[i] : cluster->joining[i - n_old].process;
      if (process.pid > 0) stop_node(process.pid, kStopGrace);
      auto pid = launch(*vigild, nodes[i]);
      if (!pid) return fail(cmd, pid.error());
      process.pid = *pid;
      (void)save_cluster(root, *cluster);
    }
  }
  const std::vector<client::NodeEndpoint> everyone = cluster->all_nodes();
  if (auto s = wait_for_links(everyone, kLinkTimeout, std::cout); !s) return fail(cmd, s.error());
  auto plan = reshare_plan(*current, dealers, n2, t2, phase_timeout);
  if (!plan) return fail(cmd, plan.error());
  std::vector<client::NodeEndpoint> taking_part;
  for (const auto& node : everyone) {
    if (node.index <= n2 || std::find(dealers.begin(), dealers.end(), node.index) != dealers.end()) {
      taking_part.push_back(node);
    }
  }
  auto report = run_ceremony(taking_part, *plan, std::array{&*operator_key}, std::cout);
  if (!report) return fail(cmd, report.error());
  print_timing(*report);
  if (report->committee.group_public_key() != current->group_public_key()) {
    return fail(cmd, "the group key changed: this must never happen");
  }
  if (auto s = record_outcome(root, *cluster, report->committee); !s) return fail(cmd, s.error());

  if (n2 < n_old) {
    std::cout << "removing nodes " << n2 + 1 << ".." << n_old << " (their shares are erased)\n";
    for (std::size_t i = n2; i < n_old; ++i) {
      if (cluster->processes[i].pid > 0) stop_node(cluster->processes[i].pid, kStopGrace);
    }
    cluster->description.nodes.resize(n2);
    cluster->processes.resize(n2);
    nodes.resize(n2);
    (void)save_cluster(root, *cluster);
    if (auto s = write_configs(nodes); !s) return fail(cmd, s.error());
    for (std::size_t i = 0; i < n2; ++i) {
      stop_node(cluster->processes[i].pid, kStopGrace);
      auto pid = launch(*vigild, nodes[i]);
      if (!pid) return fail(cmd, pid.error());
      cluster->processes[i].pid = *pid;
    }
    if (auto s = save_cluster(root, *cluster); !s) return fail(cmd, s.error());
  }
  std::cout << t2 << "-of-" << n2 << " at key epoch " << cluster->description.key_epoch
            << "; group public key unchanged " << to_hex(cluster->description.group_public_key) << "\n";
  return kExitOk;
}

int cluster_status(const fs::path& dir) {
  auto cluster = load_cluster(dir);
  if (!cluster) return fail("cluster status", cluster.error(), kExitUsage);
  const auto& d = cluster->description;
  std::cout << d.threshold << "-of-" << d.nodes.size() << " " << curve_name(d.curve) << " cluster, key epoch "
            << d.key_epoch << ", group key " << to_hex(d.group_public_key) << "\n";
  int down = 0;
  for (const auto& node : cluster->all_nodes()) {
    const int pid = cluster->process_of(node.index)->pid;
    auto health = http_request("GET", node.api + "/healthz", "", milliseconds(1000));
    const bool up = health && health->status == 200;
    down += up ? 0 : 1;
    std::cout << "  node " << node.index << "  " << (up ? "up  " : "DOWN") << "  pid " << std::setw(7) << std::left
              << pid << " " << node.api << (process_alive(pid) ? "" : "  (process not running)")
              << (cluster->is_joining(node.index) ? "  (joining: an unfinished resharing added it)" : "") << "\n";
  }
  return down == 0 ? kExitOk : kExitFailure;
}

int cluster_down(const fs::path& dir) {
  auto cluster = load_cluster(dir);
  if (!cluster) return fail("cluster down", cluster.error(), kExitUsage);
  for (const auto& node : cluster->all_nodes()) {
    LocalProcess& process = *cluster->process_of(node.index);
    if (process.pid > 0) {
      stop_node(process.pid, kStopGrace);
      std::cout << "  node " << node.index << " stopped\n";
    }
    // And one a command cut short started without recording it.
    if (!process.dir.empty()) stop_nodes_running(fs::absolute(dir) / process.dir / "node.toml", kStopGrace);
    process.pid = 0;
  }
  if (auto s = save_cluster(dir, *cluster); !s) return fail("cluster down", s.error());
  return kExitOk;
}

int cluster_restart(const fs::path& dir, unsigned index) {
  auto cluster = load_cluster(dir);
  if (!cluster) return fail("cluster restart", cluster.error(), kExitUsage);
  auto vigild = find_vigild();
  if (!vigild) return fail("cluster restart", vigild.error());
  const auto nodes = cluster->all_nodes();
  const auto node = std::find_if(nodes.begin(), nodes.end(), [&](const auto& n) { return n.index == index; });
  if (node == nodes.end()) {
    return fail("cluster restart", "no node " + std::to_string(index) + " in " + dir.string(), kExitUsage);
  }
  const LocalProcess process = *cluster->process_of(node->index);
  if (process_alive(process.pid)) stop_node(process.pid, kStopGrace);
  const fs::path node_dir = fs::canonical(dir) / process.dir;
  auto pid = start_node(*vigild, node_dir / "node.toml", node_dir / "vigild.log");
  if (!pid) return fail("cluster restart", pid.error());
  // Only this node's process changes: a coordinator may have recorded a
  // key in the file meanwhile.
  auto saved = update_cluster(dir, [&](ClusterFile& now) -> Status {
    LocalProcess* recorded = now.process_of(node->index);
    if (recorded == nullptr) {
      return make_error(ErrorCode::kInvalidInput, "node " + std::to_string(index) + " left cluster.json meanwhile");
    }
    recorded->pid = *pid;
    return {};
  });
  if (!saved) return fail("cluster restart", saved.error());
  if (auto s = wait_healthy(node->api, *pid, kHealthTimeout); !s) {
    return fail("cluster restart", "node " + std::to_string(index) + ": " + s.error().message);
  }
  std::cout << "  node " << index << " restarted, pid " << *pid << "\n";
  return kExitOk;
}

// Wall time and CPU per node of a DKG, and optionally of a refresh (n -> n),
// on a fresh local cluster; each figure beside the target.
template <Curve C>
int bench_ceremonies(std::size_t n, std::size_t t, bool reshare, bool keep, milliseconds phase_timeout) {
  const std::string cmd = "bench dkg";
  if (t == 0) t = 2 * n / 3 + 1;
  if (auto s = check_threshold(n, t); !s) return fail(cmd, s.error(), kExitUsage);
  const fs::path dir = fs::temp_directory_path() / ("vigil-bench-dkg-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  if (int rc = cluster_up<C>(dir, n, t, KeySource::kNone, phase_timeout); rc != kExitOk) return rc;
  auto cleanup = [&] {
    if (keep) return;
    (void)cluster_down(dir);
    fs::remove_all(dir);
  };
  auto cluster = load_cluster(dir);
  auto operator_key = read_signing_key_file(dir / "operator.key");
  if (!cluster || !operator_key) return cleanup(), fail(cmd, "the bench cluster did not come up");
  const auto& members = cluster->description.nodes;
  if (auto s = wait_for_links(members, std::chrono::minutes(3), std::cout); !s) return cleanup(), fail(cmd, s.error());

  const std::map<std::size_t, double> target_ms = {{16, 2000}, {64, 20000}};
  auto verdict = [&](double ms) {
    auto it = target_ms.find(n);
    if (it == target_ms.end()) return std::string("(no target for n=" + std::to_string(n) + ")");
    return "(target <= " + std::to_string(static_cast<int>(it->second)) +
           " ms: " + (ms <= it->second ? "met" : "MISSED") + ")";
  };
  std::vector<std::string> lines;
  auto measure = [&](const char* what, const v1::CeremonyPlan& plan) -> Status {
    const auto start = std::chrono::steady_clock::now();
    VIGIL_ASSIGN_OR_RETURN(CeremonyReport report, run_ceremony(members, plan, std::array{&*operator_key}, std::cout));
    const double observed = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::vector<double> cpu;
    for (const auto& [index, c] : report.nodes) cpu.push_back(static_cast<double>(c.cpu_us()) / 1000.0);
    std::sort(cpu.begin(), cpu.end());
    std::ostringstream line;
    line << std::fixed << std::setprecision(1) << what << " n=" << n << " t=" << t << ": wall " << report.wall_ms
         << " ms " << verdict(report.wall_ms) << "; seen by the coordinator " << observed << " ms; CPU per node median "
         << cpu[cpu.size() / 2] << " ms, max " << cpu.back() << " ms";
    lines.push_back(line.str());
    VIGIL_RETURN_IF_ERROR(record_key(*cluster, report.committee));
    return save_cluster(dir, *cluster);
  };
  Status s = measure("DKG", dkg_plan(C::kId, n, t, phase_timeout));
  if (s && reshare) {
    auto current = fetch_status(members.front().api, milliseconds(5000));
    if (!current) return cleanup(), fail(cmd, current.error());
    std::vector<ParticipantIndex> dealers;
    for (const auto& node : members) dealers.push_back(node.index);
    auto plan = reshare_plan(*current, dealers, n, t, phase_timeout);
    s = plan ? measure("resharing (refresh)", *plan) : Status(plan.error());
  }
  cleanup();
  std::cout << "\n";
  for (const auto& l : lines) std::cout << l << "\n";
  if (keep) std::cout << "cluster kept in " << dir.string() << "\n";
  return s ? kExitOk : fail(cmd, s.error());
}

}  // namespace

void register_bench_ceremonies(CLI::App& bench, int& exit_code) {
  struct Options {
    std::size_t n = 16, t = 0;
    bool reshare = false, keep = false;
    std::string curve = "ristretto255";
    unsigned phase_timeout_ms = 60000;
  };
  auto o = std::make_shared<Options>();
  auto* dkg = bench.add_subcommand("dkg",
                                   "Start a local cluster of N vigild processes (no key), time a DKG over their TLS\n"
                                   "links, optionally a refresh (--reshare, N -> N), and report wall time and CPU\n"
                                   "per node beside the targets (n=16 <= 2 s, n=64 <= 20 s). Stops the cluster after.");
  dkg->add_option("--n", o->n, "Nodes (default 16)");
  dkg->add_option("--t", o->t, "Threshold (default floor(2n/3)+1)");
  dkg->add_flag("--reshare", o->reshare, "Also time a resharing to the same committee");
  dkg->add_flag("--keep", o->keep, "Leave the cluster running");
  dkg->add_option("--curve", o->curve, "ristretto255 (default) or secp256k1")
      ->check(CLI::IsMember({"ristretto255", "secp256k1"}));
  dkg->add_option("--phase-timeout-ms", o->phase_timeout_ms, "Deadline of each phase (default 60000)")
      ->check(CLI::Range(100u, 3600000u));
  dkg->callback([o, &exit_code] {
    exit_code = run_for_curve("bench dkg", parse_curve_name(o->curve).value(), [&](auto c) {
      return bench_ceremonies<decltype(c)>(o->n, o->t, o->reshare, o->keep, milliseconds(o->phase_timeout_ms));
    });
  });
}

void register_cluster(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("cluster",
                                 "Run a local cluster of vigild nodes on 127.0.0.1 (for trying vigil and for tests).");
  cmd->require_subcommand(1);
  auto dir = std::make_shared<std::string>();
  auto n = std::make_shared<std::size_t>(0), t = std::make_shared<std::size_t>(0);
  auto curve = std::make_shared<std::string>("ristretto255");
  auto dealer = std::make_shared<bool>(false), no_key = std::make_shared<bool>(false);
  auto phase_timeout_ms = std::make_shared<unsigned>(30000);
  auto* up = cmd->add_subcommand("up",
                                 "Create identities, configs and data folders for N nodes, start them, and\n"
                                 "have them generate a t-of-n key by DKG (no one ever holds the whole key),\n"
                                 "showing each phase as it passes. Writes DIR/cluster.json.");
  up->add_option("--dir", *dir, "Folder for the cluster (must not hold one already)")->required();
  up->add_option("--n", *n, "Number of nodes")->required();
  up->add_option("--t", *t, "Threshold")->required();
  up->add_option("--curve", *curve, "ristretto255 (default) or secp256k1")
      ->check(CLI::IsMember({"ristretto255", "secp256k1"}));
  auto* dealer_flag = up->add_flag(
      "--dealer", *dealer, "Deal the key with a trusted dealer instead of a DKG (each share sealed to its node)");
  up->add_flag("--no-key", *no_key, "Start the nodes without a key (run vigil cluster dkg later)")
      ->excludes(dealer_flag);
  up->add_option("--phase-timeout-ms", *phase_timeout_ms, "Deadline of each DKG phase (default 30000)")
      ->check(CLI::Range(100u, 3600000u));
  up->callback([=, &exit_code] {
    exit_code = run_for_curve("cluster up", parse_curve_name(*curve).value(), [&](auto c) {
      const KeySource source = *dealer ? KeySource::kDealer : *no_key ? KeySource::kNone : KeySource::kDkg;
      return cluster_up<decltype(c)>(*dir, *n, *t, source, milliseconds(*phase_timeout_ms));
    });
  });

  auto* dkg = cmd->add_subcommand("dkg",
                                  "Run a DKG on a cluster whose nodes hold no key yet (after cluster up --no-key,\n"
                                  "or to retry one that failed), or record the key of one every node already\n"
                                  "finished (a coordinator interrupted). Updates DIR/cluster.json.");
  dkg->add_option("--dir", *dir, "The cluster folder")->required()->check(CLI::ExistingDirectory);
  dkg->add_option("--t", *t, "Threshold")->required();
  dkg->add_option("--phase-timeout-ms", *phase_timeout_ms, "Deadline of each phase (default 30000)")
      ->check(CLI::Range(100u, 3600000u));
  dkg->callback([=, &exit_code] {
    auto cluster = load_cluster(*dir);
    if (!cluster) {
      exit_code = fail("cluster dkg", cluster.error(), kExitUsage);
      return;
    }
    if (auto s = check_threshold(cluster->description.nodes.size(), *t); !s) {
      exit_code = fail("cluster dkg", s.error(), kExitUsage);
      return;
    }
    auto s = run_dkg(fs::canonical(*dir), *cluster, *t, milliseconds(*phase_timeout_ms));
    exit_code = s ? kExitOk : fail("cluster dkg", s.error());
  });

  auto* reshare = cmd->add_subcommand("reshare",
                                      "Reshare the cluster's key to N nodes with threshold T, keeping the group key:\n"
                                      "new nodes are created and started, the current nodes deal, and nodes beyond N\n"
                                      "erase their shares and stop. Every ciphertext stays decryptable. Updates\n"
                                      "DIR/cluster.json (threshold, nodes, public shares, key epoch).");
  reshare->add_option("--dir", *dir, "The cluster folder")->required()->check(CLI::ExistingDirectory);
  reshare->add_option("--n", *n, "Number of nodes after the resharing")->required();
  reshare->add_option("--t", *t, "Threshold after the resharing")->required();
  reshare->add_option("--phase-timeout-ms", *phase_timeout_ms, "Deadline of each phase (default 30000)")
      ->check(CLI::Range(100u, 3600000u));
  reshare->callback([=, &exit_code] { exit_code = cluster_reshare(*dir, *n, *t, milliseconds(*phase_timeout_ms)); });

  auto* status = cmd->add_subcommand("status", "Show each node's health. Exits 1 if any node is down.");
  status->add_option("--dir", *dir, "The cluster folder")->required()->check(CLI::ExistingDirectory);
  status->callback([=, &exit_code] { exit_code = cluster_status(*dir); });

  auto* down = cmd->add_subcommand("down", "Stop every node (SIGTERM, then SIGKILL after 5 s).");
  down->add_option("--dir", *dir, "The cluster folder")->required()->check(CLI::ExistingDirectory);
  down->callback([=, &exit_code] { exit_code = cluster_down(*dir); });

  auto index = std::make_shared<unsigned>(0);
  auto* restart =
      cmd->add_subcommand("restart", "Start node I again from its data folder (stopping it first if running).");
  restart->add_option("--dir", *dir, "The cluster folder")->required()->check(CLI::ExistingDirectory);
  restart->add_option("--node", *index, "Node index")->required();
  restart->callback([=, &exit_code] { exit_code = cluster_restart(*dir, *index); });
}

}  // namespace vigil::cli
