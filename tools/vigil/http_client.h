// A small blocking HTTP/1.1 client for the CLI (one request per connection,
// a deadline on the whole exchange).
#pragma once

#include <chrono>
#include <string>

#include "vigil/result.h"

namespace vigil::cli {

struct HttpResult {
  unsigned status = 0;
  std::string body;
};

// `url` is "http://host:port/path". Fails with kTransport or kTimeout.
Result<HttpResult> http_request(const std::string& method, const std::string& url, const std::string& body,
                                std::chrono::milliseconds timeout);

}  // namespace vigil::cli
