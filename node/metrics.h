// The node's Prometheus metrics (text exposition format 0.0.4), all prefixed
// vigil_: requests by kind and outcome, request latency histograms, peers
// connected, shares issued, errors by code, the state of the current DKG or
// resharing, and failures per peer. Thread-safe.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace vigil::node {

class Metrics {
 public:
  void record_request(const std::string& kind, const std::string& outcome, double seconds);
  void record_error(const std::string& code);
  void share_issued() { shares_issued_.fetch_add(1, std::memory_order_relaxed); }
  void set_peers_connected(int n) { peers_connected_.store(n, std::memory_order_relaxed); }
  // The running ceremony's phase (1 deal .. 4 confirm, 5 done, 6 failed; 0 none).
  void set_ceremony_phase(const std::string& kind, int phase);
  void ceremony_finished(const std::string& kind, const std::string& outcome);
  // A peer broke the protocol ("protocol") or its link failed ("link").
  void peer_failure(std::uint32_t peer, const std::string& reason);

  std::string render() const;

 private:
  struct Histogram {
    std::vector<std::uint64_t> buckets;  // cumulative counts per bound
    std::uint64_t count = 0;
    double sum = 0;
  };
  static const std::vector<double>& bounds();

  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, std::uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
  std::map<std::string, std::uint64_t> errors_;
  std::map<std::string, int> ceremony_phase_;
  std::map<std::pair<std::string, std::string>, std::uint64_t> ceremonies_;
  std::map<std::pair<std::uint32_t, std::string>, std::uint64_t> peer_failures_;
  std::atomic<std::uint64_t> shares_issued_{0};
  std::atomic<int> peers_connected_{0};
};

}  // namespace vigil::node
