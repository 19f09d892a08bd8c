// A token bucket: how often a peer may make this node do work on its
// behalf (answer a catch-up request, resend a ceremony's messages). Not
// thread-safe: its owner holds its own lock.
#pragma once

#include <algorithm>
#include <chrono>

namespace vigil::node {

class TokenBucket {
 public:
  TokenBucket(double per_second, double burst) : per_second_(per_second), burst_(burst), tokens_(burst) {}

  // Takes a token if one is left at `now`.
  bool take(std::chrono::steady_clock::time_point now) {
    if (last_ != std::chrono::steady_clock::time_point{}) {
      tokens_ = std::min(burst_, tokens_ + per_second_ * std::chrono::duration<double>(now - last_).count());
    }
    last_ = now;
    if (tokens_ < 1) return false;
    tokens_ -= 1;
    return true;
  }

 private:
  double per_second_;
  double burst_;
  double tokens_;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace vigil::node
