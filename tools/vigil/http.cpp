#include "http.h"

namespace vigil::cli {

client::HttpTransport& http() {
  static const std::unique_ptr<client::HttpTransport> transport = client::make_http_transport();
  return *transport;
}

}  // namespace vigil::cli
