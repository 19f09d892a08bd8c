// vigil doctor: checks one node the way its operator would by hand (its
// config, key files and their modes, listen addresses, the running node's
// API, each pinned peer's reachability and link, clock skew against the
// peers, the attestation collateral's age) and says what to fix.
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fcntl.h>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <ctime>

#include "cli.h"
#include "client/node_api.h"
#include "cluster_entry.h"
#include "files.h"
#include "http.h"
#include "node/config.h"
#include "node/identity.h"
#include "node/store/store.h"
#include "vigil/dcap.h"

namespace vigil::cli {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

// Collateral that expires within this is worth a warning: it is refreshed
// daily by deploy/fetch-collateral when that runs at all.
constexpr std::int64_t kCollateralWarnSeconds = 7 * 24 * 3600;
// Clocks further apart than this deserve a look even within clock_skew_s.
constexpr std::int64_t kClockWarnMs = 1000;

// Each finding, printed as it is made: "ok", "warn" or "FAIL", what was
// found, and for the last two what to do about it.
class Findings {
 public:
  void ok(const std::string& what) { print("ok  ", what, {}); }
  void warn(const std::string& what, const std::string& fix) {
    ++warnings_;
    print("warn", what, fix);
  }
  void fail(const std::string& what, const std::string& fix) {
    ++failures_;
    print("FAIL", what, fix);
  }
  int exit_code() const {
    std::cout << "\n"
              << (failures_ == 0 ? "no problems" : std::to_string(failures_) + " problem(s)") << ", " << warnings_
              << " warning(s)\n";
    return failures_ == 0 ? kExitOk : kExitFailure;
  }

 private:
  static void print(const char* verdict, const std::string& what, const std::string& fix) {
    std::cout << verdict << "  " << what << "\n";
    if (!fix.empty()) std::cout << "      fix: " << fix << "\n";
  }
  int warnings_ = 0, failures_ = 0;
};

std::string octal_mode(fs::perms p) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(p) & 07777U);
  return buf;
}

// A secret file: present and readable by its owner alone.
bool check_secret_file(Findings& f, const fs::path& path, const std::string& what) {
  std::error_code ec;
  const auto st = fs::status(path, ec);
  if (ec || !fs::exists(st)) {
    f.fail(what + " " + path.string() + " is missing", "vigil init creates it; restore it from the node's backup");
    return false;
  }
  if ((st.permissions() & (fs::perms::group_all | fs::perms::others_all)) != fs::perms::none) {
    f.fail(what + " " + path.string() + " has mode " + octal_mode(st.permissions()) +
               ": others on this machine can read the node's secret",
           "chmod 600 " + path.string() + ", and find out who may have read it");
    return false;
  }
  return true;
}

std::string dial_host(const node::Endpoint& e) {
  if (!is_wildcard(e)) return e.host;
  return e.host == "0.0.0.0" ? "127.0.0.1" : "[::1]";
}
bool is_loopback(const std::string& host) { return host.rfind("127.", 0) == 0 || host == "localhost" || host == "::1"; }

// Connects to `e` within `timeout`: "" when it answered, else why not.
std::string tcp_reach(const node::Endpoint& e, milliseconds timeout) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  std::string host = dial_host(e);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  if (int rc = getaddrinfo(host.c_str(), std::to_string(e.port).c_str(), &hints, &found); rc != 0) {
    return std::string("cannot resolve: ") + gai_strerror(rc);
  }
  std::string why = "no address";
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    const int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int rc = connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      rc = poll(&p, 1, static_cast<int>(timeout.count()));
      if (rc == 0) {
        why = "no answer within " + std::to_string(timeout.count()) + " ms";
        rc = -1;
      } else if (rc > 0) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        rc = err == 0 ? 0 : -1;
        if (err != 0) why = std::strerror(err);
      }
    } else if (rc != 0) {
      why = std::strerror(errno);
    }
    close(fd);
    if (rc == 0) {
      freeaddrinfo(found);
      return {};
    }
  }
  freeaddrinfo(found);
  return why;
}

// Whether this machine could listen on `e` (checked when no node runs).
std::string bind_problem(const node::Endpoint& e) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  std::string host = e.host;
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  if (int rc = getaddrinfo(host.c_str(), std::to_string(e.port).c_str(), &hints, &found); rc != 0) {
    return std::string("cannot resolve ") + e.host + ": " + gai_strerror(rc);
  }
  std::string why;
  const int fd = socket(found->ai_family, found->ai_socktype | SOCK_CLOEXEC, found->ai_protocol);
  const int one = 1;
  if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (fd < 0 || bind(fd, found->ai_addr, found->ai_addrlen) != 0) {
    why = errno == EADDRINUSE      ? "in use by another program"
          : errno == EADDRNOTAVAIL ? "not an address of this machine"
                                   : std::strerror(errno);
  }
  if (fd >= 0) close(fd);
  freeaddrinfo(found);
  return why;
}

std::string utc(std::int64_t unix_s) {
  const std::time_t t = unix_s;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

void check_keys(Findings& f, const node::NodeConfig& config) {
  const fs::path& dir = config.data_dir;
  std::error_code ec;
  const auto st = fs::status(dir, ec);
  if (ec || !fs::is_directory(st)) {
    f.fail("data folder " + dir.string() + " is not there" + (ec ? ": " + ec.message() : ""),
           "vigil init creates it; check data_dir in the config");
    return;
  }
  if ((st.permissions() & (fs::perms::group_all | fs::perms::others_all)) != fs::perms::none) {
    f.warn("data folder " + dir.string() + " has mode " + octal_mode(st.permissions()), "chmod 700 " + dir.string());
  }
  struct stat owner {};
  if (::stat(dir.c_str(), &owner) == 0 && owner.st_uid != geteuid()) {
    f.warn("data folder " + dir.string() + " belongs to uid " + std::to_string(owner.st_uid) + ", not this user (uid " +
               std::to_string(geteuid()) + ")",
           "run vigil doctor as the user vigild runs as (sudo -u vigil ...)");
  }
  if (check_secret_file(f, dir / "identity.key", "identity key")) {
    if (auto identity = node::load_identity(dir); identity) {
      f.ok("identity key: " + to_hex(identity->public_key) + " (the identity peers pin)");
    } else {
      f.fail("identity key: " + identity.error().message, "restore identity.key from the node's backup");
    }
  }
  const char* env = std::getenv("VIGIL_MASTER_KEY");
  const bool from_env = env != nullptr && *env != '\0';
  if (from_env || check_secret_file(f, dir / "master.key", "master key")) {
    if (auto key = node::load_master_key(dir); key) {
      f.ok(std::string("master key: from ") + (from_env ? "VIGIL_MASTER_KEY" : (dir / "master.key").string()));
    } else {
      f.fail("master key: " + key.error().message, "give the key that sealed this node's shares");
    }
  }
}

void check_listen(Findings& f, const node::NodeConfig& config, bool running) {
  if (is_loopback(config.api_listen.host)) {
    f.warn("the API listens on " + config.api_listen.to_string() + ": no other machine can reach it",
           "if the coordinator or clients run elsewhere: vigil init --data-dir " + config.data_dir.string() +
               " --index " + std::to_string(config.index) + " --api-listen HOST:8100 --force, and restart");
  }
  if (running) return;  // the node holds both ports
  for (const auto& [what, e] : {std::pair{"peer", config.peer_listen}, std::pair{"API", config.api_listen}}) {
    if (auto why = bind_problem(e); !why.empty()) {
      f.fail(std::string(what) + " listen address " + e.to_string() + ": " + why,
             "free the port, or choose another address with vigil init ... --force");
    } else {
      f.ok(std::string(what) + " listen address " + e.to_string() + " is free");
    }
  }
}

// The node's own report; nullopt when it does not answer.
std::optional<v1::StatusResponse> check_api(Findings& f, const node::NodeConfig& config, const std::string& config_path,
                                            milliseconds timeout) {
  const std::string url = "http://" + dial_host(config.api_listen) + ":" + std::to_string(config.api_listen.port);
  auto status = client::fetch_status(http(), url, timeout);
  if (!status) {
    f.fail("the API at " + url + " does not answer: " + status.error().message,
           "start the node (vigild --config " + config_path + ", or systemctl start vigild) and read its log");
    return std::nullopt;
  }
  // Whatever holds the port answers this request: the identity tells the
  // node from another program (or another node's vigild).
  if (auto own = node::load_identity(config.data_dir);
      own && status->identity() != std::string(own->public_key.begin(), own->public_key.end())) {
    f.fail("the API at " + url + " answers with identity " + to_hex(as_bytes(status->identity())) +
               ", not this node's " + to_hex(own->public_key),
           "another program or node holds " + config.api_listen.to_string() +
               ": stop it, or give this node another --api-listen");
    return std::nullopt;
  }
  if (status->node_index() != config.index) {
    f.fail("the API at " + url + " is node " + std::to_string(status->node_index()) + "'s, not node " +
               std::to_string(config.index) + "'s",
           "another node's vigild holds this address: give each node its own --api-listen");
    return std::nullopt;
  }
  if (status->group_public_key().empty()) {
    f.warn("node " + std::to_string(config.index) + " answers at " + url + " and holds no key yet",
           "generate one: vigil dkg (docs/deployment.md, step 4), or vigil import-share before starting");
  } else {
    f.ok("node " + std::to_string(config.index) + " answers at " + url + ": share of the " +
         std::to_string(status->threshold()) + "-of-" + std::to_string(status->parties()) + " " + status->curve() +
         " key, epoch " + std::to_string(status->key_epoch()));
  }
  if (status->has_ceremony() && status->ceremony().state() == "failed") {
    f.warn("its latest ceremony failed: " + status->ceremony().error(),
           "run the DKG or resharing again once every node is linked");
  }
  return std::move(status).value();
}

void check_peers(Findings& f, const node::NodeConfig& config, const std::optional<v1::StatusResponse>& status,
                 milliseconds timeout) {
  if (config.peers.empty()) {
    f.warn("no peers are pinned", "vigil init --data-dir " + config.data_dir.string() + " --index " +
                                      std::to_string(config.index) +
                                      " --cluster cluster-description.json --force (docs/deployment.md, step 2)");
  }
  const std::int64_t skew_limit_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(config.limits.clock_skew).count();
  for (const auto& peer : config.peers) {
    const std::string who = "node " + std::to_string(peer.index) + " at " + peer.address.to_string();
    if (auto why = tcp_reach(peer.address, timeout); !why.empty()) {
      f.fail(who + " is unreachable: " + why,
             "check that its vigild runs, that its peer port is open to this machine, and the address in "
             "cluster-description.json");
      continue;
    }
    if (!status) {
      f.ok(who + " is reachable");
      continue;
    }
    const v1::PeerStatus* link = nullptr;
    for (const auto& p : status->peers()) {
      if (p.index() == peer.index) link = &p;
    }
    if (link == nullptr || !link->connected()) {
      f.fail(who + " is reachable, but this node has no authenticated link to it",
             "its identity must be the one pinned here and it must pin this node: compare its "
             "cluster-entry.json with cluster-description.json, and run vigil init --cluster ... --force on both");
      continue;
    }
    if (!link->has_clock_offset_ms()) {
      f.ok(who + " is linked (no clock reading yet)");
      continue;
    }
    const std::int64_t offset = link->clock_offset_ms();
    const std::string reading =
        who + " is linked; its clock is " + (offset >= 0 ? "+" : "") + std::to_string(offset) + " ms from this node's";
    if (offset > skew_limit_ms || offset < -skew_limit_ms) {
      f.fail(reading + ", beyond limits.clock_skew_s (" + std::to_string(config.limits.clock_skew.count()) + " s)",
             "synchronise both clocks (chrony or systemd-timesyncd): nodes judge heartbeats and recoveries by them");
    } else if (offset > kClockWarnMs || offset < -kClockWarnMs) {
      f.warn(reading, "synchronise both clocks (chrony or systemd-timesyncd)");
    } else {
      f.ok(reading);
    }
  }
}

void check_collateral(Findings& f, const node::NodeConfig& config, std::int64_t now_s) {
  const fs::path dir = config.data_dir / "collateral";
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    f.ok("no attestation collateral (needed only for attested policies, docs/attestation.md)");
    return;
  }
  Bytes root;
  if (!config.attestation_test_root.empty()) {
    auto der = read_file(config.attestation_test_root, 1u << 16);
    if (der) root.assign(der->begin(), der->end());
  }
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".json") continue;
    const std::string name = entry.path().string();
    const std::string refresh = "deploy/fetch-collateral ... --out " + name + " (docs/attestation.md)";
    auto text = read_file(entry.path(), dcap::kMaxCollateralBytes);
    auto parsed = text ? dcap::parse_collateral_json(*text) : Result<dcap::Collateral>(text.error());
    if (!parsed) {
      f.fail("collateral " + name + ": " + parsed.error().message, refresh);
      continue;
    }
    auto checked =
        root.empty() ? dcap::CheckedCollateral::check(*parsed) : dcap::CheckedCollateral::check(*parsed, root);
    if (!checked) {
      f.fail("collateral " + name + ": " + checked.error().message, refresh);
      continue;
    }
    const std::int64_t until = checked->valid_until();
    if (until <= now_s) {
      f.fail("collateral " + name + " expired " + utc(until) + ": attested recoveries are refused", refresh);
    } else if (until - now_s < kCollateralWarnSeconds) {
      f.warn("collateral " + name + " expires " + utc(until), refresh + ", daily from cron or a timer");
    } else {
      f.ok("collateral " + name + " is valid until " + utc(until));
    }
  }
}

int run_doctor(const std::string& config_path, milliseconds timeout) {
  Findings f;
  auto config = node::load_node_config(config_path);
  if (!config) {
    f.fail(config.error().message, "vigil init writes a valid node.toml; node/config.h documents every key");
    return f.exit_code();
  }
  f.ok("config " + config_path + ": node " + std::to_string(config->index) + ", data folder " +
       config->data_dir.lexically_normal().string() + ", " + std::to_string(config->peers.size()) + " peer(s), " +
       std::to_string(config->operators.size()) + " operator(s)");
  if (!config->attestation_test_root.empty()) {
    f.fail("[attestation] test_root_ca is set: vigild refuses to start with a test root (vigild-test only)",
           "remove the [attestation] table from " + config_path);
  }
  if (config->operators.empty()) {
    f.warn("no operators are pinned: no DKG or resharing can be approved",
           "pin the cluster description (vigil init ... --cluster cluster-description.json --force)");
  }
  check_keys(f, *config);
  const auto status = check_api(f, *config, config_path, timeout);
  check_listen(f, *config, status.has_value());
  check_peers(f, *config, status, timeout);
  check_collateral(f, *config, static_cast<std::int64_t>(std::time(nullptr)));
  return f.exit_code();
}

}  // namespace

void register_doctor(CLI::App& app, int& exit_code) {
  struct Options {
    std::string config;
    unsigned timeout_ms = 3000;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "doctor",
      "Check one node as its operator would by hand: its config, key files and their modes, listen\n"
      "addresses, its API, each pinned peer's reachability and authenticated link, clock skew against\n"
      "the peers, and the attestation collateral's age. Says what to fix; exit 1 if anything is wrong.\n"
      "Run it on the node's machine, as the user vigild runs as.");
  cmd->add_option("--config", o->config, "The node's node.toml")->required()->check(CLI::ExistingFile);
  cmd->add_option("--timeout-ms", o->timeout_ms, "How long to wait for the API and each peer (default 3000)")
      ->check(CLI::Range(1u, 600000u));
  cmd->callback([o, &exit_code] { exit_code = run_doctor(o->config, milliseconds(o->timeout_ms)); });
}

}  // namespace vigil::cli
