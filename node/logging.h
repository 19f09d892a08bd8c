// spdlog setup: human-readable lines by default, JSON lines with
// log_format = "json". Callers never pass secrets to the logger.
#pragma once

#include <string>

namespace vigil::node {

void init_logging(const std::string& format, const std::string& level, unsigned node_index);

// Sends protobuf's own messages into the structured log instead of raw
// "[libprotobuf ERROR ...]" lines on stderr: its errors are about bodies that
// clients sent (invalid UTF-8, say), already refused with a clear answer, so
// they go at debug level; its warnings stay warnings. init_logging calls it.
void route_protobuf_logs_to_spdlog();

}  // namespace vigil::node
