// GET /v1/audit?from=N[&limit=L]: this node's audit chain from entry N (1 by
// default), at most L entries (kAuditPageLimit by default and at most), and
// the chain's head, so that a verifier pages through the whole chain.
#include <charconv>

#include "node/api/json_body.h"
#include "node/api/resources.h"

namespace vigil::node::api {
namespace {

constexpr std::size_t kAuditPageLimit = 1000;

Result<std::uint64_t> number(std::string_view query, std::string_view name, std::uint64_t fallback) {
  auto text = query_value(query, name);
  if (!text) return fallback;
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size()) {
    return make_error(ErrorCode::kBadEncoding, std::string(name) + ": expected a non-negative integer");
  }
  return value;
}

}  // namespace

HttpResponse audit(std::string_view method, std::string_view query, DecryptionService& service) {
  if (method != "GET") return method_not_allowed("GET");
  auto from = number(query, "from", 1);
  if (!from) return from_error(from.error());
  auto limit = number(query, "limit", kAuditPageLimit);
  if (!limit) return from_error(limit.error());
  auto page = service.audit(*from, std::clamp<std::uint64_t>(*limit, 1, kAuditPageLimit));
  return page ? json_response(*page) : from_error(page.error());
}

}  // namespace vigil::node::api
