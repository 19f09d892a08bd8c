#include "node/logging.h"

#include <google/protobuf/stubs/logging.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <mutex>
#include <utility>

namespace vigil::node {
namespace {

std::string json_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

// One JSON object per line on stderr: {"ts", "level", "node", "msg"}.
class JsonLinesSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit JsonLinesSink(unsigned node) : node_(node) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch()).count();
    const auto level = spdlog::level::to_string_view(msg.level);
    std::string line = "{\"ts_ms\":" + std::to_string(ms) + ",\"level\":\"" + std::string(level.data(), level.size()) +
                       "\",\"node\":" + std::to_string(node_) + ",\"msg\":\"" +
                       json_escape(std::string_view(msg.payload.data(), msg.payload.size())) + "\"}\n";
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
  void flush_() override { std::fflush(stderr); }

 private:
  unsigned node_;
};

void protobuf_to_spdlog(google::protobuf::LogLevel level, const char* file, int line, const std::string& message) {
  switch (level) {
    case google::protobuf::LOGLEVEL_FATAL: spdlog::critical("protobuf {}:{}: {}", file, line, message); break;
    case google::protobuf::LOGLEVEL_WARNING: spdlog::warn("protobuf: {}", message); break;
    default:  // info, and errors about input the caller refuses anyway
      spdlog::debug("protobuf: {}", message);
      break;
  }
}

}  // namespace

void route_protobuf_logs_to_spdlog() { google::protobuf::SetLogHandler(&protobuf_to_spdlog); }

void init_logging(const std::string& format, const std::string& level, unsigned node_index) {
  std::shared_ptr<spdlog::logger> logger;
  if (format == "json") {
    logger = std::make_shared<spdlog::logger>("vigild", std::make_shared<JsonLinesSink>(node_index));
  } else {
    logger = spdlog::stderr_color_mt("vigild");
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ node " + std::to_string(node_index) + " | %v");
  }
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  route_protobuf_logs_to_spdlog();
}

std::optional<std::uint64_t> LogThrottle::admit(std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (last_ && now - *last_ < interval_) {
    ++suppressed_;
    return std::nullopt;
  }
  last_ = now;
  return std::exchange(suppressed_, 0);
}

}  // namespace vigil::node
