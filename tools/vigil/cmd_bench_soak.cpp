// vigil bench soak: a local cluster under a steady mixed load for a long
// time (heartbeats, registrations and recoveries at a fixed rate, issued on
// schedule whether or not earlier ones have finished), reporting every
// interval and at the end the throughput, p50/p99/p999 latency, errors
// (the target is none) and each node's resident memory over time (the
// target is flat).
#include <atomic>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <iomanip>
#include <mutex>
#include <random>
#include <thread>

#include "bench_stats.h"
#include "cli.h"
#include "cluster_file.h"
#include "http.h"
#include "keys.h"
#include "protected_client.h"

namespace vigil::cli {
namespace {

using Stopwatch = std::chrono::steady_clock;
using std::chrono::milliseconds;

enum Kind { kHeartbeat, kRegistration, kRecovery, kKinds };
constexpr const char* kKindNames[kKinds] = {"heartbeats", "registrations", "recoveries"};

// A node's resident memory in MiB from /proc, or -1 when it is not running.
double resident_mib(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return -1;
}

// Latencies and errors of one kind over one interval, and over the run.
struct Tally {
  std::vector<double> interval_ms, total_ms;
  std::size_t interval_errors = 0, total_errors = 0;
  std::string first_error;
};

template <Curve C>
int run_soak(const ClusterFile& cluster, const Ed25519KeyPair& requester, milliseconds duration, double rate,
             std::size_t secrets, milliseconds interval) {
  SystemClock clock;
  auto vault = client::ClusterClient<C>::create(cluster.description, http(), system_rng(), clock);
  if (!vault) return fail("bench soak", vault.error());
  const auto enclave = ed25519_generate(system_rng());
  const Policy policy = requester_only(enclave, requester.public_key);
  const Bytes secret(32, 0x5a);
  std::cout << "vigil bench soak: " << cluster.description.threshold << "-of-" << cluster.description.nodes.size()
            << " " << C::kName << " cluster, " << rate << " operations/s for " << duration.count() / 1000
            << " s: 70% heartbeats, 10% registrations, 20% recoveries, over " << secrets << " protected secrets\n"
            << std::flush;
  std::vector<client::KeyId> ids;
  for (std::size_t i = 0; i < secrets; ++i) {
    auto p = vault->protect(enclave, policy, secret);
    if (!p) return fail("bench soak", p.error());
    ids.push_back(p->key_id);
  }
  // Each secret's enclave sends its heartbeats one after another, as an
  // agent does: one overtaking an earlier one would be refused as a replay.
  std::vector<std::uint64_t> counters(secrets);
  std::vector<std::mutex> sending(secrets);
  // The first node's refusal, named.
  auto refusal = [](const std::vector<client::NodeProblem>& problems, const char* what) {
    std::string e = std::string("a node refused ") + what;
    if (!problems.empty()) e += ": node " + std::to_string(problems.front().index) + ": " + problems.front().problem;
    return e;
  };

  // One operation; its error, or "" when every node answered as it should.
  auto operate = [&](Kind kind, std::size_t n) -> std::string {
    const std::size_t s = n % secrets;
    if (kind == kHeartbeat) {
      const std::lock_guard one_at_a_time(sending[s]);
      auto beat = vault->heartbeat(enclave, ids[s], ++counters[s]);
      if (!beat) return beat.error().message;
      return beat->accepted.size() == cluster.description.nodes.size() ? "" : refusal(beat->problems, "a heartbeat");
    }
    if (kind == kRegistration) {
      auto p = vault->protect(enclave, policy, secret);
      if (!p) return p.error().message;
      return p->accepted.size() == cluster.description.nodes.size() ? "" : refusal(p->problems, "a registration");
    }
    const X25519KeyPair response = x25519_generate(system_rng());
    auto request = vault->prepare_recovery(ids[s], response.public_key);
    request.sign(requester);
    auto r = vault->recover(request, response, {.first_node = n});
    if (!r) return r.error().message;
    return r->plaintext.size() == secret.size() ? "" : "wrong plaintext";
  };

  // Operations are due on a fixed schedule; workers take them in order and
  // time each from when it was due, so a stall shows in the latency.
  struct Due {
    Kind kind;
    std::size_t n;
    Stopwatch::time_point at;
  };
  std::mutex mutex;
  std::condition_variable ready;
  std::deque<Due> due;
  bool done = false;
  std::array<Tally, kKinds> tallies;
  std::vector<std::thread> workers;
  for (int w = 0; w < 32; ++w) {
    workers.emplace_back([&] {
      for (;;) {
        Due next;
        {
          std::unique_lock lock(mutex);
          ready.wait(lock, [&] { return done || !due.empty(); });
          if (due.empty()) return;
          next = due.front();
          due.pop_front();
        }
        const std::string error = operate(next.kind, next.n);
        const double ms = std::chrono::duration<double, std::milli>(Stopwatch::now() - next.at).count();
        std::lock_guard lock(mutex);
        Tally& t = tallies[next.kind];
        if (error.empty()) {
          t.interval_ms.push_back(ms);
          t.total_ms.push_back(ms);
        } else {
          ++t.interval_errors;
          ++t.total_errors;
          if (t.first_error.empty()) t.first_error = error;
        }
      }
    });
  }

  std::vector<std::vector<double>> memory(cluster.processes.size());
  auto sample_memory = [&] {
    std::ostringstream line;
    line << std::fixed << std::setprecision(1);
    for (std::size_t i = 0; i < cluster.processes.size(); ++i) {
      const double mib = resident_mib(cluster.processes[i].pid);
      memory[i].push_back(mib);
      line << (i ? " " : "") << mib;
    }
    return line.str();
  };
  std::cout << "  resident MiB per node at the start: " << sample_memory() << "\n"
            << "  every " << interval.count() / 1000 << " s: elapsed, per kind rate/s p99 ms errors, node MiB\n";

  std::mt19937_64 choose(20261130);
  const auto start = Stopwatch::now();
  const auto period = std::chrono::duration_cast<Stopwatch::duration>(std::chrono::duration<double>(1.0 / rate));
  auto next_report = start + interval;
  std::size_t issued = 0;
  std::size_t backlog_peak = 0;
  for (auto at = start; at < start + duration; at += period) {
    std::this_thread::sleep_until(at);
    const auto roll = choose() % 10;
    const Kind kind = roll < 7 ? kHeartbeat : roll < 8 ? kRegistration : kRecovery;
    {
      std::lock_guard lock(mutex);
      due.push_back({kind, issued++, at});
      backlog_peak = std::max(backlog_peak, due.size());
    }
    ready.notify_one();
    if (Stopwatch::now() >= next_report) {
      next_report += interval;
      std::ostringstream line;
      line << std::fixed << std::setprecision(1) << "  " << std::setw(5)
           << std::chrono::duration<double>(Stopwatch::now() - start).count() << " s";
      {
        std::lock_guard lock(mutex);
        for (auto& t : tallies) {
          line << " | " << static_cast<double>(t.interval_ms.size()) / (static_cast<double>(interval.count()) / 1000)
               << "/s p99 " << percentile(t.interval_ms, 0.99) << " err " << t.interval_errors;
          t.interval_ms.clear();
          t.interval_errors = 0;
        }
      }
      std::cout << line.str() << " | " << sample_memory() << "\n" << std::flush;
    }
  }
  {
    std::lock_guard lock(mutex);
    done = true;
  }
  ready.notify_all();
  for (auto& w : workers) w.join();
  const double seconds = std::chrono::duration<double>(Stopwatch::now() - start).count();

  std::size_t errors = 0;
  std::cout << std::fixed << std::setprecision(2) << "  over " << seconds << " s (at most " << backlog_peak
            << " operations waited for a client thread):\n";
  for (int k = 0; k < kKinds; ++k) {
    const Tally& t = tallies[k];
    errors += t.total_errors;
    std::cout << "    " << std::setw(13) << kKindNames[k] << ": " << static_cast<double>(t.total_ms.size()) / seconds
              << "/s   p50 " << percentile(t.total_ms, 0.5) << " ms   p99 " << percentile(t.total_ms, 0.99)
              << " ms   p999 " << percentile(t.total_ms, 0.999) << " ms   errors " << t.total_errors
              << (t.first_error.empty() ? "" : " (first: " + t.first_error + ")") << "\n";
  }
  sample_memory();
  for (std::size_t i = 0; i < memory.size(); ++i) {
    const auto& m = memory[i];
    std::cout << "    node " << cluster.description.nodes[i].index << " resident: start " << m.front() << " MiB, peak "
              << percentile(m, 1.0) << " MiB, end " << m.back() << " MiB\n";
  }
  std::cout << "  errors: " << errors << "   (target 0; memory flat)\n";
  return errors == 0 ? kExitOk : kExitFailure;
}

}  // namespace

void register_bench_soak(CLI::App& bench, int& exit_code) {
  struct Options {
    std::string dir, duration = "10m", interval = "10s";
    double rate = 200;
    std::size_t secrets = 100;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = bench.add_subcommand(
      "soak",
      "Hold a steady mixed load on a local cluster (70% heartbeats, 10% registrations, 20% recoveries,\n"
      "issued on schedule) and report, every interval and at the end, throughput, p50/p99/p999 latency\n"
      "from when each operation was due, errors (target: none) and each node's resident memory\n"
      "(target: flat). Exits 1 on any error.");
  cmd->add_option("--dir", o->dir, "Local cluster folder (cluster.json)")->required()->check(CLI::ExistingDirectory);
  cmd->add_option("--duration", o->duration, "How long (default 10m; 500ms, 30s, 10m, 2h)");
  cmd->add_option("--rate", o->rate, "Operations per second, all kinds together (default 200)")
      ->check(CLI::Range(0.1, 100000.0));
  cmd->add_option("--secrets", o->secrets, "Protected secrets that heartbeats and recoveries use (default 100)")
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--interval", o->interval, "How often to report (default 10s)");
  cmd->callback([o, &exit_code] {
    auto duration = client::parse_duration_ms(o->duration);
    if (!duration) return void(exit_code = fail("bench soak --duration", duration.error(), kExitUsage));
    auto interval = client::parse_duration_ms(o->interval);
    if (!interval || *interval == 0) {
      return void(exit_code = fail("bench soak --interval",
                                   interval ? make_error(ErrorCode::kInvalidInput, "must not be 0") : interval.error(),
                                   kExitUsage));
    }
    auto c = load_cluster(o->dir);
    if (!c) return void(exit_code = fail("bench soak", c.error(), kExitUsage));
    auto requester = load_requester_key(o->dir, *c, {});
    if (!requester) return void(exit_code = fail("bench soak", requester.error(), kExitUsage));
    exit_code = run_for_curve("bench soak", c->description.curve, [&](auto curve) {
      return run_soak<decltype(curve)>(*c, *requester, milliseconds(*duration), o->rate, o->secrets,
                                       milliseconds(*interval));
    });
  });
}

}  // namespace vigil::cli
