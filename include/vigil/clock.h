// Time is an input: code that needs the wall clock (request expiries,
// heartbeats, ceremony deadlines) reads it through a Clock, so that tests
// control it. The core (crypto/) never reads time at all.
#pragma once

#include <chrono>
#include <cstdint>

namespace vigil {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch.
  virtual std::int64_t now_unix_ms() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::int64_t now_unix_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace vigil
