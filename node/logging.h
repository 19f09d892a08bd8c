// spdlog setup: human-readable lines by default, JSON lines with
// log_format = "json". Callers never pass secrets to the logger.
#pragma once

#include <string>

namespace vigil::node {

void init_logging(const std::string& format, const std::string& level, unsigned node_index);

}  // namespace vigil::node
