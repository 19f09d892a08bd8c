#include "node/metrics.h"

#include <sstream>

namespace vigil::node {

const std::vector<double>& Metrics::bounds() {
  static const std::vector<double> b = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
  return b;
}

void Metrics::record_request(const std::string& kind, const std::string& outcome, double seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[{kind, outcome}];
  auto& h = latency_[kind];
  if (h.buckets.empty()) h.buckets.assign(bounds().size(), 0);
  for (std::size_t i = 0; i < bounds().size(); ++i) {
    if (seconds <= bounds()[i]) ++h.buckets[i];
  }
  ++h.count;
  h.sum += seconds;
}

void Metrics::record_error(const std::string& code) {
  std::lock_guard lock(mutex_);
  ++errors_[code];
}

void Metrics::set_ceremony_phase(const std::string& kind, int phase) {
  std::lock_guard lock(mutex_);
  ceremony_phase_[kind] = phase;
}

void Metrics::ceremony_finished(const std::string& kind, const std::string& outcome) {
  std::lock_guard lock(mutex_);
  ++ceremonies_[{kind, outcome}];
}

void Metrics::peer_failure(std::uint32_t peer, const std::string& reason) {
  std::lock_guard lock(mutex_);
  ++peer_failures_[{peer, reason}];
}

std::string Metrics::render() const {
  std::lock_guard lock(mutex_);
  std::ostringstream out;
  out << "# HELP vigil_requests_total Client API requests by kind and outcome.\n# TYPE vigil_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    out << "vigil_requests_total{kind=\"" << key.first << "\",outcome=\"" << key.second << "\"} " << n << "\n";
  }
  out << "# HELP vigil_request_duration_seconds Client API request latency.\n"
         "# TYPE vigil_request_duration_seconds histogram\n";
  for (const auto& [kind, h] : latency_) {
    for (std::size_t i = 0; i < bounds().size(); ++i) {
      out << "vigil_request_duration_seconds_bucket{kind=\"" << kind << "\",le=\"" << bounds()[i] << "\"} "
          << h.buckets[i] << "\n";
    }
    out << "vigil_request_duration_seconds_bucket{kind=\"" << kind << "\",le=\"+Inf\"} " << h.count << "\n"
        << "vigil_request_duration_seconds_sum{kind=\"" << kind << "\"} " << h.sum << "\n"
        << "vigil_request_duration_seconds_count{kind=\"" << kind << "\"} " << h.count << "\n";
  }
  out << "# HELP vigil_errors_total Errors returned to clients, by code.\n# TYPE vigil_errors_total counter\n";
  for (const auto& [code, n] : errors_) out << "vigil_errors_total{code=\"" << code << "\"} " << n << "\n";
  out << "# HELP vigil_shares_issued_total Decryption shares released.\n# TYPE vigil_shares_issued_total counter\n"
      << "vigil_shares_issued_total " << shares_issued_.load() << "\n"
      << "# HELP vigil_peers_connected Peers with an authenticated connection.\n# TYPE vigil_peers_connected gauge\n"
      << "vigil_peers_connected " << peers_connected_.load() << "\n";
  out << "# HELP vigil_ceremony_phase Phase of the latest DKG or resharing: 1 deal, 2 complain, 3 justify, 4 confirm, "
         "5 done, 6 failed.\n# TYPE vigil_ceremony_phase gauge\n";
  for (const auto& [kind, phase] : ceremony_phase_)
    out << "vigil_ceremony_phase{kind=\"" << kind << "\"} " << phase << "\n";
  out << "# HELP vigil_ceremonies_total Finished DKGs and resharings by outcome.\n# TYPE vigil_ceremonies_total "
         "counter\n";
  for (const auto& [key, n] : ceremonies_) {
    out << "vigil_ceremonies_total{kind=\"" << key.first << "\",outcome=\"" << key.second << "\"} " << n << "\n";
  }
  out << "# HELP vigil_peer_failures_total Protocol violations and link failures, per peer.\n"
         "# TYPE vigil_peer_failures_total counter\n";
  for (const auto& [key, n] : peer_failures_) {
    out << "vigil_peer_failures_total{peer=\"" << key.first << "\",reason=\"" << key.second << "\"} " << n << "\n";
  }
  return out.str();
}

}  // namespace vigil::node
