// The node's Prometheus metrics (text exposition format 0.0.4), all prefixed
// vigil_: requests by kind and outcome, request latency histograms, peers
// connected, shares issued, errors by code. Thread-safe.
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
  std::atomic<std::uint64_t> shares_issued_{0};
  std::atomic<int> peers_connected_{0};
};

}  // namespace vigil::node
