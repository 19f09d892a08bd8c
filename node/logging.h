// spdlog setup: human-readable lines by default, JSON lines with
// log_format = "json". Callers never pass secrets to the logger.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

namespace vigil::node {

void init_logging(const std::string& format, const std::string& level, unsigned node_index);

// Sends protobuf's own messages into the structured log instead of raw
// "[libprotobuf ERROR ...]" lines on stderr: its errors are about bodies that
// clients sent (invalid UTF-8, say), already refused with a clear answer, so
// they go at debug level; its warnings stay warnings. init_logging calls it.
void route_protobuf_logs_to_spdlog();

// Lets one line through per interval for an event that can repeat many
// times a second (a refused connection in a flood): the caller logs when
// admit() says so, with the number of lines held back since the last one.
class LogThrottle {
 public:
  explicit LogThrottle(std::chrono::milliseconds interval) : interval_(interval) {}
  // The count suppressed since the last line, or nullopt to stay quiet.
  std::optional<std::uint64_t> admit(std::chrono::steady_clock::time_point now);

 private:
  std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::optional<std::chrono::steady_clock::time_point> last_;
  std::uint64_t suppressed_ = 0;
};

}  // namespace vigil::node
