// The CLI's HTTP transport to node APIs (vigil/client.h): one per process,
// so that a command's many requests reuse their connections.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "vigil/client.h"

namespace vigil::cli {

client::HttpTransport& http();

inline Result<client::HttpResponse> http_request(std::string_view method, const std::string& url,
                                                 const std::string& body, std::chrono::milliseconds timeout) {
  return http().request(method, url, body, timeout);
}

}  // namespace vigil::cli
