// Time is an input: the node reads it through Clock so that tests control it.
#pragma once

#include <chrono>
#include <cstdint>

namespace vigil::node {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::int64_t now_unix_ms() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::int64_t now_unix_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace vigil::node
