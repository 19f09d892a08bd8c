// vigil demo: the mission told step by step on a fresh local cluster, by
// running this same `vigil` binary's commands as a user would, so that the
// demo shows exactly what the commands print. Each step checks what it
// claims (a refusal by every node, the identical secret back); the demo
// fails, naming the step, if one does not hold.
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli.h"
#include "cluster_file.h"
#include "files.h"

namespace vigil::cli {
namespace {

namespace fs = std::filesystem;

struct Run {
  int exit_code = -1;
  std::string output;
};

// Runs `vigil <args>` (this same binary) and keeps its output.
Run quiet(const std::string& args) {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  FILE* pipe = ::popen(((ec ? std::string("vigil") : self.string()) + " " + args + " 2>&1").c_str(), "r");
  Run run;
  if (pipe == nullptr) return run;
  std::array<char, 4096> buf{};
  for (std::size_t n; (n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0;) run.output.append(buf.data(), n);
  const int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

// ... and echoes its output, indented.
Run vigil(const std::string& args) {
  Run run = quiet(args);
  std::string indented = "  " + run.output;
  for (std::size_t at = 0; (at = indented.find('\n', at)) != std::string::npos && at + 1 < indented.size(); at += 3) {
    indented.insert(at + 1, "  ");
  }
  std::cout << indented << std::flush;
  return run;
}

class Demo {
 public:
  explicit Demo(fs::path dir) : dir_(std::move(dir)) {}

  void step(const std::string& what) { std::cout << "\n== " << ++step_ << ". " << what << "\n" << std::flush; }
  // Fails the demo at this step unless `holds`.
  bool expect(bool holds, const std::string& what) {
    if (!holds) std::cerr << "vigil demo: step " << step_ << " did not hold: " << what << "\n";
    ok_ = ok_ && holds;
    return holds;
  }
  bool ok() const { return ok_; }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string cluster() const { return path("cluster"); }

 private:
  fs::path dir_;
  int step_ = 0;
  bool ok_ = true;
};

int run_demo(const fs::path& dir, unsigned n, unsigned t, const std::string& silence) {
  Demo demo(dir);
  const std::string c = " --cluster " + demo.cluster();
  demo.step("Start a local " + std::to_string(t) + "-of-" + std::to_string(n) +
            " cluster: identities, pinned TLS peer links, and a DKG (no one ever holds the key)");
  if (!demo.expect(
          vigil("cluster up --dir " + demo.cluster() + " --n " + std::to_string(n) + " --t " + std::to_string(t))
                  .exit_code == 0,
          "the cluster started")) {
    return kExitFailure;
  }
  int exit = [&]() -> int {
    for (const char* k : {"enclave", "admin", "intruder"}) {
      std::cout << "  " << k << ": ";
      vigil("keygen --type ed25519 --force --out " + demo.path(std::string(k) + ".key"));
    }
    const std::string wallet =
        "the enclave wallet key: 0x4c0883a69102937d6231471b5dbb6204fe512961708279f2e3e8a5d4b8e3b7a1\n";
    if (auto s = write_file(demo.path("wallet.key"), wallet, FileMode::kSecret, true); !s) {
      return fail("demo", s.error());
    }

    demo.step("An enclave protects its wallet key: \"after " + silence + " of silence, the admin may recover it\"");
    auto p = vigil("protect" + c + " --secret-file " + demo.path("wallet.key") + " --enclave-key " +
                   demo.path("enclave.key") + " --requester " + demo.path("admin.key.pub") + " --silence " + silence +
                   " --json");
    auto j = nlohmann::json::parse(p.output, nullptr, false);
    if (!demo.expect(p.exit_code == 0 && j.is_object() && j.contains("key_id"), "the secret was protected")) {
      return kExitFailure;
    }
    const std::string key_id = j["key_id"].get<std::string>();
    const std::string recover = "recover" + c + " --key-id " + key_id + " --force --requester-key ";

    demo.step("The enclave is alive: it sends a signed heartbeat, which every node takes");
    demo.expect(
        vigil("heartbeat" + c + " --key-id " + key_id + " --enclave-key " + demo.path("enclave.key")).exit_code == 0,
        "a node took the heartbeat");

    demo.step("The admin asks too early: every node checks the policy itself and refuses (enclave_alive)");
    auto early = vigil(recover + demo.path("admin.key") + " --out " + demo.path("early.txt"));
    demo.expect(early.exit_code == 1 && !fs::exists(demo.path("early.txt")), "the early request was refused");
    for (unsigned i = 1; i <= n; ++i) {
      demo.expect(early.output.find("node " + std::to_string(i) + ": enclave_alive") != std::string::npos,
                  "node " + std::to_string(i) + " refused with enclave_alive");
    }

    demo.step("The enclave goes silent: no heartbeat for longer than " + silence);
    auto ms = client::parse_duration_ms(silence);
    std::this_thread::sleep_for(std::chrono::milliseconds(ms ? *ms + 1000 : 0));
    std::cout << "  (waited)\n";

    demo.step("An intruder asks: every node refuses (not_authorised)");
    auto stolen = vigil(recover + demo.path("intruder.key") + " --out " + demo.path("stolen.txt"));
    demo.expect(stolen.exit_code == 1 && stolen.output.find("not_authorised") != std::string::npos &&
                    !fs::exists(demo.path("stolen.txt")),
                "the intruder was refused");

    demo.step("The admin recovers it: shares sealed to a fresh key, each verified, combined");
    auto got = vigil(recover + demo.path("admin.key") + " --out " + demo.path("recovered.txt"));
    auto recovered = read_file(demo.path("recovered.txt"));
    demo.expect(got.exit_code == 0 && recovered && *recovered == wallet, "the identical secret came back");
    if (recovered) std::cout << "  recovered: " << *recovered;

    demo.step("Every node logged its decisions in a signed, hash-chained audit log: verify them all");
    demo.expect(vigil("audit verify" + c).exit_code == 0, "every audit chain verifies");

    demo.step("Kill two nodes: the others still recover it, and the dead ones are named");
    auto cluster = load_cluster(demo.cluster());
    if (cluster) {
      for (std::size_t i = 0; i < 2 && i < cluster->processes.size(); ++i) ::kill(cluster->processes[i].pid, SIGKILL);
    }
    demo.expect(vigil(recover + demo.path("admin.key") + " --out " + demo.path("recovered2.txt")).exit_code == 0,
                "recovered with two nodes down");

    demo.step("Restart them from their data folders (their shares are sealed at rest)");
    demo.expect(vigil("cluster restart --dir " + demo.cluster() + " --node 1").exit_code == 0, "node 1 restarted");
    demo.expect(vigil("cluster restart --dir " + demo.cluster() + " --node 2").exit_code == 0, "node 2 restarted");
    vigil("cluster status --dir " + demo.cluster());

    demo.step("Reshare to " + std::to_string(t + 1) + "-of-" + std::to_string(n + 2) +
              ": new nodes and shares, the same group key; the new nodes learn the secret from their peers\n"
              "   and, counting the silence from then, serve it once the timeout has passed for them too");
    demo.expect(vigil("cluster reshare --dir " + demo.cluster() + " --n " + std::to_string(n + 2) + " --t " +
                      std::to_string(t + 1))
                        .exit_code == 0,
                "the cluster reshared");
    // Asked of the last t + 1 nodes, the new ones among them: they caught up
    // from their peers (a moment after their links came up).
    std::string urls;
    if (auto resharded = load_cluster(demo.cluster())) {
      const auto& nodes = resharded->description.nodes;
      for (std::size_t i = nodes.size() > t + 1 ? nodes.size() - t - 1 : 0; i < nodes.size(); ++i) {
        urls += (urls.empty() ? "" : ",") + nodes[i].api;
      }
    }
    const std::string from_new = "recover --nodes " + urls + " --key-id " + key_id + " --force --requester-key " +
                                 demo.path("admin.key") + " --out " + demo.path("recovered3.txt");
    // A node that learned the secret from its peers counts the silence
    // from then: the new nodes grant once the timeout has passed for them too.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms ? *ms + 10'000 : 10'000);
    Run again = quiet(from_new);
    while (again.exit_code != 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      again = quiet(from_new);
    }
    std::cout << "  " << again.output;
    auto third = read_file(demo.path("recovered3.txt"));
    demo.expect(again.exit_code == 0 && third && *third == wallet, "the new nodes served the same secret");
    return demo.ok() ? kExitOk : kExitFailure;
  }();
  demo.step("Stop the cluster");
  vigil("cluster down --dir " + demo.cluster());
  if (exit == kExitOk) {
    std::cout << "\nDone: every step held. docs/policies.md explains the policies, heartbeats and the audit log;\n"
              << "docs/api.md the API; vigil bench recover and bench heartbeats measure the cluster.\n";
  }
  return exit;
}

}  // namespace

void register_demo(CLI::App& app, int& exit_code) {
  struct Options {
    std::string dir, silence = "5s";
    unsigned n = 5, t = 3;
    bool keep = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "demo",
      "Tell vigil's story on a fresh local cluster, step by step: DKG; an enclave protects its\n"
      "wallet key under \"silent for 5 s, then the admin\" and sends a heartbeat; the admin's early\n"
      "recovery is refused by every node; the enclave goes silent; an intruder is refused; the\n"
      "admin recovers the identical secret; the audit chains verify; two nodes die and the secret\n"
      "still recovers; the cluster reshares. Exit 0 only if every step holds.");
  cmd->add_option("--dir", o->dir, "Work folder (default: a new temporary one, removed afterwards)");
  cmd->add_option("--n", o->n, "Nodes (default 5)");
  cmd->add_option("--t", o->t, "Threshold (default 3)");
  cmd->add_option("--silence", o->silence, "The enclave's silence timeout (default 5s)");
  cmd->add_flag("--keep", o->keep, "Keep the work folder");
  cmd->callback([o, &exit_code] {
    if (o->t < 1 || o->t > o->n) return void(exit_code = fail("demo", "need 1 <= t <= n", kExitUsage));
    fs::path dir = o->dir;
    if (dir.empty()) {
      // mkdtemp replaces the trailing XXXXXX with a unique name.
      std::string pattern = (fs::temp_directory_path() / "vigil-demo-XXXXXX").string();
      if (::mkdtemp(pattern.data()) == nullptr) return void(exit_code = fail("demo", "cannot create a work folder"));
      dir = pattern;
    } else if (fs::exists(dir / "cluster" / "cluster.json")) {
      return void(exit_code = fail("demo", (dir / "cluster").string() + " holds a cluster already", kExitUsage));
    }
    fs::create_directories(dir);
    exit_code = run_demo(dir, o->n, o->t, o->silence);
    if (!o->keep && o->dir.empty()) fs::remove_all(dir);
  });
}

}  // namespace vigil::cli
