// vigil decrypt --cluster: recovery of what encrypt --cluster protected under
// a requester-only policy; vigil bench recover and bench heartbeats: the
// cluster under load, with latency percentiles beside the targets.
#include <algorithm>
#include <atomic>
#include <iomanip>
#include <thread>

#include "bench_stats.h"
#include "cli.h"
#include "cluster_file.h"
#include "files.h"
#include "http.h"
#include "keys.h"
#include "protected_client.h"
#include "tdh2_files.h"

namespace vigil::cli {
namespace {

namespace fs = std::filesystem;
using Stopwatch = std::chrono::steady_clock;

Result<Ed25519KeyPair> load_requester(const fs::path& dir, const ClusterFile& cluster) {
  return load_requester_key(dir, cluster, {});
}

int run_decrypt(const std::string& dir, const std::string& protected_path, const std::string& requester_key,
                const std::string& out, bool force, unsigned timeout_ms) {
  auto cluster = load_cluster(dir);
  if (!cluster) return fail("decrypt", cluster.error(), kExitUsage);
  auto requester = load_requester_key(dir, *cluster, requester_key);
  if (!requester) return fail("decrypt", requester.error(), kExitUsage);
  auto key_id = parse_key_id(protected_path);
  if (!key_id) return fail("decrypt", key_id.error(), kExitUsage);
  ClusterOptions options{dir, "", timeout_ms};
  return with_cluster_client("decrypt", options, [&](const auto& vault) -> int {
    const X25519KeyPair response = x25519_generate(system_rng());
    auto request = vault.prepare_recovery(*key_id, response.public_key);
    request.sign(*requester);
    auto r = vault.recover(request, response, {options.timeout()});
    if (!r) return fail("decrypt", r.error());
    print_problems(r->problems);
    const std::string plaintext(r->plaintext.span().begin(), r->plaintext.span().end());
    if (auto s = write_file(out, plaintext, FileMode::kSecret, force); !s) return fail("decrypt", s.error());
    std::cout << "decrypted " << plaintext.size() << " bytes with verified shares from nodes " << list_nodes(r->used)
              << "; written to " << out << "\n";
    return kExitOk;
  });
}

// Runs `task(i)` for i in [0, n) on `workers` threads; the latency of each
// that succeeded (ms) and the rate of successes per second.
template <class Task>
std::pair<double, std::size_t> run_phase(std::size_t n, std::size_t workers, std::vector<double>& latencies_ms,
                                         Task&& task) {
  std::atomic<std::size_t> next{0}, failures{0};
  std::vector<std::vector<double>> per_worker(workers);
  const auto start = Stopwatch::now();
  std::vector<std::thread> threads;
  for (std::size_t w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      for (std::size_t i; (i = next.fetch_add(1)) < n;) {
        const auto t0 = Stopwatch::now();
        const bool ok = task(i);
        const double ms = std::chrono::duration<double, std::milli>(Stopwatch::now() - t0).count();
        if (ok) {
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
}

// Protects `count` secrets of `bytes` bytes for `requester` (silent for a
// day, then the requester), `workers` at a time; their key ids.
template <Curve C>
Result<std::vector<client::KeyId>> protect_many(const client::ClusterClient<C>& vault, const Ed25519KeyPair& enclave,
                                                const Ed25519PublicKey& requester, std::size_t count, std::size_t bytes,
                                                std::size_t workers) {
  Policy policy;
  policy.enclave_key = enclave.public_key;
  policy.any_of.push_back(PolicyGroup{24ULL * 3600 * 1000, Requesters{1, {requester}}, {}, {}, {}});
  std::vector<client::KeyId> ids(count);
  std::vector<double> ignored;
  const Bytes secret(bytes, 0x5a);
  auto [rate, failures] = run_phase(count, workers, ignored, [&](std::size_t i) {
    auto p = vault.protect(enclave, policy, secret);
    if (p) ids[i] = p->key_id;
    return p.ok() && p->accepted.size() == vault.cluster().nodes.size();
  });
  if (failures > 0) {
    return make_error(ErrorCode::kTransport, std::to_string(failures) + " of " + std::to_string(count) +
                                                 " registrations did not reach every node");
  }
  return ids;
}

template <Curve C>
int run_bench_heartbeats(const ClusterFile& cluster, const Ed25519KeyPair& requester, std::size_t secrets,
                         std::size_t beats, std::size_t concurrency) {
  SystemClock clock;
  auto vault = client::ClusterClient<C>::create(cluster.description, http(), system_rng(), clock);
  if (!vault) return fail("bench heartbeats", vault.error());
  const auto enclave = ed25519_generate(system_rng());
  const auto& d = cluster.description;
  std::cout << "vigil bench heartbeats: " << d.threshold << "-of-" << d.nodes.size() << " " << C::kName
            << " cluster; protecting " << secrets << " secrets, then " << beats
            << " distinct heartbeats, each sent to every node,\nwhich checks it, stores it durably and passes it on\n";
  auto ids = protect_many(*vault, enclave, requester.public_key, secrets, 32, concurrency);
  if (!ids) return fail("bench heartbeats", ids.error());
  std::vector<std::atomic<std::uint64_t>> counters(secrets);
  std::vector<double> latencies;
  auto [rate, failures] = run_phase(beats, concurrency, latencies, [&](std::size_t i) {
    const std::size_t s = i % secrets;
    auto beat = vault->heartbeat(enclave, (*ids)[s], counters[s].fetch_add(1) + 1);
    return beat.ok() && beat->accepted.size() == d.nodes.size();
  });
  std::cout << std::fixed << std::setprecision(2) << "  " << concurrency << " clients:   " << rate
            << " heartbeats/s taken by every node   (target >= 1000/s)\n"
            << "  latency (all nodes answered):   p50 " << percentile(latencies, 0.5) << " ms   p99 "
            << percentile(latencies, 0.99) << " ms   (target p99 <= 50 ms)\n"
            << "  not taken by every node: " << failures << "\n";
  return failures == 0 ? kExitOk : kExitFailure;
}

template <Curve C>
int run_bench(const ClusterFile& cluster, const Ed25519KeyPair& requester, std::size_t requests,
              std::size_t concurrency, std::size_t payload_bytes, std::size_t registered) {
  SystemClock clock;
  auto vault = client::ClusterClient<C>::create(cluster.description, http(), system_rng(), clock);
  if (!vault) return fail("bench recover", vault.error());
  Bytes payload(payload_bytes, 0x5a);
  const auto enclave = ed25519_generate(system_rng());
  if (registered > 0) {
    std::cout << "registering " << registered << " other protected secrets first...\n" << std::flush;
    const auto start = Stopwatch::now();
    auto others = protect_many(*vault, enclave, requester.public_key, registered, payload_bytes, concurrency);
    if (!others) return fail("bench recover", others.error());
    std::cout << "  done in " << std::fixed << std::setprecision(1)
              << std::chrono::duration<double>(Stopwatch::now() - start).count() << " s\n";
  }
  auto protection = vault->protect(enclave, requester_only(enclave, requester.public_key), payload);
  if (!protection) return fail("bench recover", protection.error());
  // One recovery: a fresh response key, a signed request, t sealed shares
  // verified and combined, the secret decrypted.
  auto ask = [&](std::size_t first_node) {
    const X25519KeyPair response = x25519_generate(system_rng());
    auto request = vault->prepare_recovery(protection->key_id, response.public_key);
    request.sign(requester);
    return vault->recover(request, response, {.first_node = first_node});
  };
  auto phase = [&](std::size_t n, std::size_t workers, std::vector<double>& latencies_ms) {
    return run_phase(n, workers, latencies_ms, [&](std::size_t i) {
      auto r = ask(i);
      return r && r->plaintext.size() == payload.size();
    });
  };

  const auto& d = cluster.description;
  std::cout << "vigil bench recover: " << d.threshold << "-of-" << d.nodes.size() << " " << C::kName << " cluster, "
            << payload_bytes << "-byte secret; each recovery = a signed request to t nodes,\n"
            << "each deciding the policy and recording its release and audit entry durably, sealed shares,\n"
            << "proof verification, combination, decryption\n";
  std::vector<double> low;
  auto [low_rate, low_fail] = phase(std::max<std::size_t>(50, requests / 10), 1, low);
  std::vector<double> sat;
  auto [sat_rate, sat_fail] = phase(requests, concurrency, sat);
  std::cout << std::fixed << std::setprecision(2) << "  low load (1 client):       p50 " << percentile(low, 0.5)
            << " ms   p99 " << percentile(low, 0.99) << " ms   " << low_rate << "/s   (target p50 <= 5 ms)\n"
            << "  saturation (" << concurrency << " clients):   p50 " << percentile(sat, 0.5) << " ms   p99 "
            << percentile(sat, 0.99) << " ms   " << sat_rate << " recoveries/s   (target >= 400/s)\n"
            << "  failures: " << low_fail + sat_fail << "\n";
  return low_fail + sat_fail == 0 ? kExitOk : kExitFailure;
}

}  // namespace

void register_decrypt(CLI::App& app, int& exit_code) {
  struct Options {
    std::string cluster, ciphertext, requester_key, out;
    bool force = false;
    unsigned timeout_ms = 5000;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("decrypt",
                                 "Recover what encrypt --cluster protected, as the cluster's requester\n"
                                 "(--requester-key, or DIR/requester.key of a local cluster): ask t nodes (others if "
                                 "some refuse or fail) for shares\n"
                                 "sealed to a fresh key, verify each, combine, and name every node that\n"
                                 "refused, failed or answered wrongly.");
  cmd->add_option("--cluster", o->cluster, "Local cluster folder (cluster.json)")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--ciphertext", o->ciphertext, "The file encrypt --cluster wrote (its key id)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--requester-key", o->requester_key,
                  "The requester's Ed25519 secret key file (default: the local cluster's requester.key)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--out", o->out, "Where to write the payload (mode 0600)")->required();
  cmd->add_option("--timeout-ms", o->timeout_ms, "Per-node timeout (default 5000)");
  cmd->add_flag("--force", o->force, "Replace an existing --out file");
  cmd->callback([o, &exit_code] {
    exit_code = run_decrypt(o->cluster, o->ciphertext, o->requester_key, o->out, o->force, o->timeout_ms);
  });

  struct BenchOptions {
    std::string dir;
    std::size_t requests = 2000, concurrency = 8, payload = 32, registered = 0, secrets = 1000, beats = 10000;
  };
  auto b = std::make_shared<BenchOptions>();
  auto* bench = app.add_subcommand("bench", "Load tools.");
  auto* cluster = bench->add_subcommand("recover",
                                        "Run concurrent end-to-end recoveries against a local cluster and report\n"
                                        "throughput and p50/p99 latency beside the targets.");
  cluster->alias("cluster");
  bench->require_subcommand(1);
  register_bench_ceremonies(*bench, exit_code);
  register_bench_flood(*bench, exit_code);
  register_bench_soak(*bench, exit_code);
  cluster->add_option("--dir", b->dir, "Local cluster folder (cluster.json)")
      ->required()
      ->check(CLI::ExistingDirectory);
  cluster->add_option("--requests", b->requests, "Recoveries in the saturation phase (default 2000)");
  cluster->add_option("--concurrency", b->concurrency, "Concurrent clients in the saturation phase (default 8)");
  cluster->add_option("--payload", b->payload, "Payload bytes (default 32)");
  cluster->add_option("--registered", b->registered,
                      "Protect this many other secrets first (the registry a node searches; default 0)");
  cluster->callback([b, &exit_code] {
    auto c = load_cluster(b->dir);
    if (!c) return void(exit_code = fail("bench recover", c.error(), kExitUsage));
    auto requester = load_requester(b->dir, *c);
    if (!requester) return void(exit_code = fail("bench recover", requester.error(), kExitUsage));
    exit_code = run_for_curve("bench recover", c->description.curve, [&](auto curve) {
      return run_bench<decltype(curve)>(*c, *requester, b->requests, std::max<std::size_t>(1, b->concurrency),
                                        b->payload, b->registered);
    });
  });

  auto* heartbeats =
      bench->add_subcommand("heartbeats",
                            "Protect --secrets secrets on a local cluster, then send --beats distinct heartbeats from\n"
                            "--concurrency clients, each to every node; report how many per second every node took\n"
                            "(checked, stored durably, passed on) and their p50/p99 latency beside the targets.");
  heartbeats->add_option("--dir", b->dir, "Local cluster folder (cluster.json)")
      ->required()
      ->check(CLI::ExistingDirectory);
  heartbeats->add_option("--secrets", b->secrets, "Protected secrets to beat for (default 1000)");
  heartbeats->add_option("--beats", b->beats, "Heartbeats to send (default 10000)");
  heartbeats->add_option("--concurrency", b->concurrency, "Concurrent clients (default 8)");
  heartbeats->callback([b, &exit_code] {
    auto c = load_cluster(b->dir);
    if (!c) return void(exit_code = fail("bench heartbeats", c.error(), kExitUsage));
    auto requester = load_requester(b->dir, *c);
    if (!requester) return void(exit_code = fail("bench heartbeats", requester.error(), kExitUsage));
    exit_code = run_for_curve("bench heartbeats", c->description.curve, [&](auto curve) {
      return run_bench_heartbeats<decltype(curve)>(*c, *requester, std::max<std::size_t>(1, b->secrets), b->beats,
                                                   std::max<std::size_t>(1, b->concurrency));
    });
  });
}

}  // namespace vigil::cli
