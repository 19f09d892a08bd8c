// vigil decrypt --cluster: threshold decryption through a running cluster,
// and vigil bench cluster: the same under load, with latency percentiles.
#include <algorithm>
#include <atomic>
#include <iomanip>
#include <thread>

#include "cli.h"
#include "cluster_file.h"
#include "files.h"
#include "http.h"
#include "tdh2_files.h"

namespace vigil::cli {
namespace {

namespace fs = std::filesystem;
using Stopwatch = std::chrono::steady_clock;

Result<Ed25519KeyPair> load_requester(const fs::path& dir, const ClusterFile& cluster) {
  return read_signing_key_file(dir / cluster.requester_key);
}

int run_decrypt(const std::string& dir, const std::string& ciphertext_path, const std::string& out, bool force,
                std::chrono::milliseconds timeout) {
  auto cluster = load_cluster(dir);
  if (!cluster) return fail("decrypt", cluster.error(), kExitUsage);
  auto requester = load_requester(dir, *cluster);
  if (!requester) return fail("decrypt", requester.error(), kExitUsage);
  auto ct = read_ciphertext(ciphertext_path);
  if (!ct) return fail("decrypt", ct.error());
  SystemClock clock;
  return std::visit(
      [&](auto& c) -> int {
        using C = typename std::decay_t<decltype(c.u)>::CurveType;
        auto vault = client::ClusterClient<C>::create(cluster->description, http(), system_rng(), clock);
        if (!vault) return fail("decrypt", "the ciphertext is not for this cluster (" + vault.error().message + ")");
        auto result = vault->decrypt(*requester, c, {.per_node_timeout = timeout});
        if (!result) return fail("decrypt", result.error());
        for (const auto& p : result->problems) std::cout << "  node " << p.index << ": " << p.problem << "\n";
        const std::string plaintext(result->plaintext.span().begin(), result->plaintext.span().end());
        if (auto s = write_file(out, plaintext, FileMode::kSecret, force); !s) return fail("decrypt", s.error());
        std::string used;
        for (auto i : result->used) used += (used.empty() ? "" : ", ") + std::to_string(i);
        std::cout << "decrypted " << plaintext.size() << " bytes with verified shares from nodes " << used
                  << "; written to " << out << "\n";
        return kExitOk;
      },
      *ct);
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

template <Curve C>
int run_bench(const ClusterFile& cluster, const Ed25519KeyPair& requester, std::size_t requests,
              std::size_t concurrency, std::size_t payload_bytes) {
  SystemClock clock;
  auto vault = client::ClusterClient<C>::create(cluster.description, http(), system_rng(), clock);
  if (!vault) return fail("bench cluster", vault.error());
  Bytes payload(payload_bytes, 0x5a);
  const auto ct = vault->encrypt(as_bytes("bench"), payload);
  auto ask = [&](std::size_t first_node) { return vault->decrypt(requester, ct, {.first_node = first_node}); };
  // Registers the ciphertext everywhere (the first request per node does).
  for (std::size_t i = 0; i < cluster.description.nodes.size(); ++i) {
    auto warm = ask(i);
    if (!warm) return fail("bench cluster", warm.error());
  }
  auto phase = [&](std::size_t n, std::size_t workers,
                   std::vector<double>& latencies_ms) -> std::pair<double, std::size_t> {
    std::atomic<std::size_t> next{0}, failures{0};
    std::vector<std::vector<double>> per_worker(workers);
    const auto start = Stopwatch::now();
    std::vector<std::thread> threads;
    for (std::size_t w = 0; w < workers; ++w) {
      threads.emplace_back([&, w] {
        for (std::size_t i; (i = next.fetch_add(1)) < n;) {
          const auto t0 = Stopwatch::now();
          auto r = ask(i);
          const double ms = std::chrono::duration<double, std::milli>(Stopwatch::now() - t0).count();
          if (r && r->plaintext.size() == payload.size()) {
            per_worker[w].push_back(ms);
          } else {
            failures.fetch_add(1);
          }
        }
      });
    }
    for (auto& t : threads) t.join();
    const double seconds = std::chrono::duration<double>(Stopwatch::now() - start).count();
    for (auto& v : per_worker) latencies_ms.insert(latencies_ms.end(), v.begin(), v.end());
    return {static_cast<double>(latencies_ms.size()) / seconds, failures.load()};
  };

  const auto& d = cluster.description;
  std::cout << "vigil bench cluster: " << d.threshold << "-of-" << d.nodes.size() << " " << C::kName << " cluster, "
            << payload_bytes << "-byte payload; each decryption = signed requests to t nodes,\n"
            << "sealed shares, proof verification, combination, payload decryption\n";
  std::vector<double> low;
  auto [low_rate, low_fail] = phase(std::max<std::size_t>(50, requests / 10), 1, low);
  std::vector<double> sat;
  auto [sat_rate, sat_fail] = phase(requests, concurrency, sat);
  std::cout << std::fixed << std::setprecision(2) << "  low load (1 client):       p50 " << percentile(low, 0.5)
            << " ms   p99 " << percentile(low, 0.99) << " ms   " << low_rate << "/s   (target p50 <= 5 ms)\n"
            << "  saturation (" << concurrency << " clients):   p50 " << percentile(sat, 0.5) << " ms   p99 "
            << percentile(sat, 0.99) << " ms   " << sat_rate << " decryptions/s   (target >= 500/s)\n"
            << "  failures: " << low_fail + sat_fail << "\n";
  return low_fail + sat_fail == 0 ? kExitOk : kExitFailure;
}

}  // namespace

void register_decrypt(CLI::App& app, int& exit_code) {
  struct Options {
    std::string cluster, ciphertext, out;
    bool force = false;
    unsigned timeout_ms = 5000;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("decrypt",
                                 "Decrypt a ciphertext with a running cluster: ask t nodes (others if some fail)\n"
                                 "for decryption shares sealed to a fresh key, verify each, combine, and name\n"
                                 "every node that failed or answered wrongly.");
  cmd->add_option("--cluster", o->cluster, "Local cluster folder (cluster.json)")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--ciphertext", o->ciphertext, "Ciphertext file (binary or JSON)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--out", o->out, "Where to write the payload (mode 0600)")->required();
  cmd->add_option("--timeout-ms", o->timeout_ms, "Per-node timeout (default 5000)");
  cmd->add_flag("--force", o->force, "Replace an existing --out file");
  cmd->callback([o, &exit_code] {
    exit_code = run_decrypt(o->cluster, o->ciphertext, o->out, o->force, std::chrono::milliseconds(o->timeout_ms));
  });

  struct BenchOptions {
    std::string dir;
    std::size_t requests = 2000, concurrency = 8, payload = 32;
  };
  auto b = std::make_shared<BenchOptions>();
  auto* bench = app.add_subcommand("bench", "Load tools.");
  auto* cluster = bench->add_subcommand("cluster",
                                        "Run concurrent end-to-end decryptions against a local cluster and report\n"
                                        "throughput and p50/p99 latency beside the targets.");
  bench->require_subcommand(1);
  register_bench_ceremonies(*bench, exit_code);
  cluster->add_option("--dir", b->dir, "Local cluster folder (cluster.json)")
      ->required()
      ->check(CLI::ExistingDirectory);
  cluster->add_option("--requests", b->requests, "Decryptions in the saturation phase (default 2000)");
  cluster->add_option("--concurrency", b->concurrency, "Concurrent clients in the saturation phase (default 8)");
  cluster->add_option("--payload", b->payload, "Payload bytes (default 32)");
  cluster->callback([b, &exit_code] {
    auto c = load_cluster(b->dir);
    if (!c) return void(exit_code = fail("bench cluster", c.error(), kExitUsage));
    auto requester = load_requester(b->dir, *c);
    if (!requester) return void(exit_code = fail("bench cluster", requester.error(), kExitUsage));
    exit_code = run_for_curve("bench cluster", c->description.curve, [&](auto curve) {
      return run_bench<decltype(curve)>(*c, *requester, b->requests, std::max<std::size_t>(1, b->concurrency),
                                        b->payload);
    });
  });
}

}  // namespace vigil::cli
