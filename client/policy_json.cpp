// Release policies as people write them (docs/policies.md): JSON read into
// the core's Policy, every error naming its field as a JSON path.
#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>

#include "vigil/client.h"

namespace vigil::client {
namespace {

using nlohmann::json;

Error bad(const std::string& where, const std::string& why) {
  return make_error(ErrorCode::kInvalidInput, where + ": " + why);
}

// A condition's check, placed where the condition sits in the file.
Status at(const std::string& where, Status status) {
  if (status) return status;
  return make_error(status.error().code, where + "." + status.error().message);
}

// Only the listed members may appear: a misspelt one is an error, not a
// silently weaker policy.
Status only_members(const json& object, const std::string& where, std::initializer_list<std::string_view> allowed) {
  if (!object.is_object()) return bad(where, "must be an object");
  for (const auto& [name, value] : object.items()) {
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      return bad(where.empty() ? name : where + "." + name, "unknown field");
    }
  }
  return {};
}

Result<const json*> member(const json& object, const std::string& where, const char* name) {
  const auto it = object.find(name);
  if (it == object.end()) return bad(where.empty() ? name : where + "." + name, "missing");
  return &*it;
}

Result<Ed25519PublicKey> key_field(const json& j, const std::string& where) {
  if (!j.is_string()) return bad(where, "must be a hex string");
  auto bytes = from_hex_exact(j.get<std::string>(), 32);
  if (!bytes) return bad(where, "must be 64 hex digits (an Ed25519 public key)");
  Ed25519PublicKey key{};
  std::copy(bytes->begin(), bytes->end(), key.begin());
  return key;
}

Result<std::uint64_t> count_field(const json& j, const std::string& where, std::uint64_t max) {
  if (!j.is_number_unsigned() || j.get<std::uint64_t>() > max) {
    return bad(where, "must be an integer from 0 to " + std::to_string(max));
  }
  return j.get<std::uint64_t>();
}

// "2027-01-01T00:00:00Z" (UTC, whole seconds) as Unix milliseconds.
Result<std::uint64_t> utc_time_ms(const json& j, const std::string& where) {
  const std::string text = j.is_string() ? j.get<std::string>() : "";
  std::tm tm{};
  const char* end = ::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (!j.is_string() || end == nullptr || *end != '\0') {
    return bad(where, "must be a UTC time like \"2027-01-01T00:00:00Z\"");
  }
  const std::time_t seconds = ::timegm(&tm);
  if (seconds < 0) return bad(where, "must not be before 1970");
  return static_cast<std::uint64_t>(seconds) * 1000;
}

template <std::size_t N>
Result<std::array<std::uint8_t, N>> measurement(const json& j, const std::string& where) {
  auto bytes = j.is_string() ? from_hex_exact(j.get<std::string>(), N) : Result<Bytes>(bad(where, ""));
  if (!bytes) return bad(where, "must be " + std::to_string(2 * N) + " hex digits");
  std::array<std::uint8_t, N> out{};
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

// {"tee": "tdx", "mrtd": hex, "rtmr0".."rtmr3": hex, "statuses": [...]} or
// {"tee": "sgx", "mrenclave": hex, "mrsigner": hex, "isv_prod_id": n,
// "min_isv_svn": n, "statuses": [...]}; statuses default to ["UpToDate"].
Result<Attested> attested_condition(const json& body, const std::string& where) {
  VIGIL_RETURN_IF_ERROR(only_members(body, where,
                                     {"tee", "statuses", "mrtd", "rtmr0", "rtmr1", "rtmr2", "rtmr3", "mrenclave",
                                      "mrsigner", "isv_prod_id", "min_isv_svn"}));
  VIGIL_ASSIGN_OR_RETURN(const json* tee, member(body, where, "tee"));
  Attested a;
  const bool sgx_fields = body.contains("mrenclave") || body.contains("mrsigner") || body.contains("isv_prod_id") ||
                          body.contains("min_isv_svn");
  const bool tdx_fields = body.contains("mrtd") || body.contains("rtmr0") || body.contains("rtmr1") ||
                          body.contains("rtmr2") || body.contains("rtmr3");
  if ((*tee == "tdx" && sgx_fields) || (*tee == "sgx" && tdx_fields)) {
    return bad(where + "." + tee->get<std::string>(),
               *tee == "tdx" ? "MRENCLAVE, MRSIGNER and ISV fields are SGX's" : "MRTD and RTMRs are TDX's");
  }
  if (*tee == "tdx") {
    a.tee = AttestedTee::kTdx;
    if (body.contains("mrtd")) {
      VIGIL_ASSIGN_OR_RETURN(a.mr_td, measurement<48>(body["mrtd"], where + ".mrtd"));
    }
    for (std::size_t i = 0; i < 4; ++i) {
      const std::string name = "rtmr" + std::to_string(i);
      if (body.contains(name)) {
        VIGIL_ASSIGN_OR_RETURN(a.rtmr[i], measurement<48>(body[name], where + "." + name));
      }
    }
  } else if (*tee == "sgx") {
    a.tee = AttestedTee::kSgx;
    if (body.contains("mrenclave")) {
      VIGIL_ASSIGN_OR_RETURN(a.mr_enclave, measurement<32>(body["mrenclave"], where + ".mrenclave"));
    }
    if (body.contains("mrsigner")) {
      SgxSigner signer;
      VIGIL_ASSIGN_OR_RETURN(signer.mr_signer, measurement<32>(body["mrsigner"], where + ".mrsigner"));
      VIGIL_ASSIGN_OR_RETURN(const json* prod, member(body, where, "isv_prod_id"));
      VIGIL_ASSIGN_OR_RETURN(std::uint64_t prod_id, count_field(*prod, where + ".isv_prod_id", 65535));
      signer.isv_prod_id = static_cast<std::uint16_t>(prod_id);
      if (body.contains("min_isv_svn")) {
        VIGIL_ASSIGN_OR_RETURN(std::uint64_t svn, count_field(body["min_isv_svn"], where + ".min_isv_svn", 65535));
        signer.min_isv_svn = static_cast<std::uint16_t>(svn);
      }
      a.signer = signer;
    } else if (body.contains("isv_prod_id") || body.contains("min_isv_svn")) {
      return bad(where + ".mrsigner", "missing: isv_prod_id and min_isv_svn go with it");
    }
  } else {
    return bad(where + ".tee", "must be \"tdx\" or \"sgx\"");
  }
  if (body.contains("statuses")) {
    const json& statuses = body["statuses"];
    if (!statuses.is_array() || statuses.empty()) return bad(where + ".statuses", "must be a non-empty array");
    a.statuses = 0;
    for (std::size_t i = 0; i < statuses.size(); ++i) {
      const auto known = std::find(kAcceptableTcbStatuses.begin(), kAcceptableTcbStatuses.end(),
                                   statuses[i].is_string() ? statuses[i].get<std::string>() : "");
      if (known == kAcceptableTcbStatuses.end()) {
        return bad(where + ".statuses[" + std::to_string(i) + "]",
                   "not an acceptable TCB status (Revoked never is): UpToDate, SWHardeningNeeded, "
                   "ConfigurationNeeded, ConfigurationAndSWHardeningNeeded, OutOfDate, OutOfDateConfigurationNeeded");
      }
      a.statuses |= 1U << (known - kAcceptableTcbStatuses.begin());
    }
  }
  VIGIL_RETURN_IF_ERROR(at(where, check_attested(a)));
  return a;
}

Status add_condition(PolicyGroup& g, const json& c, const std::string& where) {
  if (!c.is_object() || c.size() != 1) return bad(where, "must be an object with one condition");
  // Through the object's own iterator: a structured binding to
  // *c.items().begin() reads the key from a proxy that is already gone.
  const auto only = c.begin();
  const std::string& kind = only.key();
  const json& body = only.value();
  const std::string inner = where + "." + kind;
  auto twice = [&] { return bad(where, "a second " + kind + " condition in this group"); };
  if (kind == "enclave_silent") {
    if (g.silence_ms) return twice();
    VIGIL_RETURN_IF_ERROR(only_members(body, inner, {"timeout"}));
    VIGIL_ASSIGN_OR_RETURN(const json* timeout, member(body, inner, "timeout"));
    auto ms = parse_duration_ms(timeout->is_string() ? timeout->get<std::string>() : "");
    if (!ms) return bad(inner + ".timeout", ms.error().message);
    VIGIL_RETURN_IF_ERROR(at(inner, check_silence(*ms)));
    g.silence_ms = *ms;
  } else if (kind == "requester") {
    if (g.requester) return twice();
    VIGIL_RETURN_IF_ERROR(only_members(body, inner, {"keys", "m"}));
    VIGIL_ASSIGN_OR_RETURN(const json* keys, member(body, inner, "keys"));
    VIGIL_ASSIGN_OR_RETURN(const json* m, member(body, inner, "m"));
    if (!keys->is_array()) return bad(inner + ".keys", "must be an array of hex keys");
    Requesters r;
    for (std::size_t i = 0; i < keys->size(); ++i) {
      const std::string at_key = inner + ".keys[" + std::to_string(i) + "]";
      VIGIL_ASSIGN_OR_RETURN(Ed25519PublicKey k, key_field((*keys)[i], at_key));
      if (std::find(r.keys.begin(), r.keys.end(), k) != r.keys.end()) return bad(at_key, "listed twice");
      r.keys.push_back(k);
    }
    std::sort(r.keys.begin(), r.keys.end());  // the canonical order; people need not sort
    VIGIL_ASSIGN_OR_RETURN(std::uint64_t quorum, count_field(*m, inner + ".m", UINT32_MAX));
    r.m = static_cast<std::uint32_t>(quorum);
    VIGIL_RETURN_IF_ERROR(at(inner, check_requesters(r)));
    g.requester = std::move(r);
  } else if (kind == "not_before") {
    if (g.not_before_unix_ms) return twice();
    VIGIL_RETURN_IF_ERROR(only_members(body, inner, {"time"}));
    VIGIL_ASSIGN_OR_RETURN(const json* time, member(body, inner, "time"));
    VIGIL_ASSIGN_OR_RETURN(g.not_before_unix_ms, utc_time_ms(*time, inner + ".time"));
    VIGIL_RETURN_IF_ERROR(at(inner, check_not_before(*g.not_before_unix_ms)));
  } else if (kind == "max_releases") {
    if (g.max_releases) return twice();
    VIGIL_RETURN_IF_ERROR(only_members(body, inner, {"count"}));
    VIGIL_ASSIGN_OR_RETURN(const json* count, member(body, inner, "count"));
    VIGIL_ASSIGN_OR_RETURN(std::uint64_t n, count_field(*count, inner + ".count", UINT32_MAX));
    VIGIL_RETURN_IF_ERROR(at(inner, check_max_releases(static_cast<std::uint32_t>(n))));
    g.max_releases = static_cast<std::uint32_t>(n);
  } else if (kind == "attested") {
    if (g.attested) return twice();
    VIGIL_ASSIGN_OR_RETURN(g.attested, attested_condition(body, inner));
  } else {
    return bad(where,
               "unknown condition \"" + kind + "\" (enclave_silent, requester, not_before, max_releases, attested)");
  }
  return {};
}

}  // namespace

Result<std::uint64_t> parse_duration_ms(std::string_view text) {
  static constexpr std::pair<std::string_view, std::uint64_t> kUnits[] = {
      {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};
  std::size_t digits = 0;
  std::uint64_t number = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
    if (number > (UINT64_MAX - 9) / 10) return make_error(ErrorCode::kInvalidInput, "duration too long");
    number = number * 10 + static_cast<std::uint64_t>(text[digits++] - '0');
  }
  const std::string_view unit = text.substr(digits);
  for (const auto& [name, ms] : kUnits) {
    if (digits > 0 && unit == name) {
      if (number > UINT64_MAX / ms) return make_error(ErrorCode::kInvalidInput, "duration too long");
      return number * ms;
    }
  }
  return make_error(ErrorCode::kInvalidInput,
                    "\"" + std::string(text) + "\" is not a duration like 500ms, 4s, 10m, 2h or 30d");
}

Result<Policy> parse_policy_json(std::string_view text) {
  if (text.size() > kMaxPolicyJsonBytes) {
    return make_error(ErrorCode::kInvalidInput,
                      "policy: larger than " + std::to_string(kMaxPolicyJsonBytes) + " bytes");
  }
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return make_error(ErrorCode::kInvalidInput, "policy: not valid JSON");
  VIGIL_RETURN_IF_ERROR(only_members(j, "", {"version", "enclave_key", "any_of"}));
  if (j.contains("version") && (!j["version"].is_number_unsigned() || j["version"].get<std::uint64_t>() != 1)) {
    return bad("version", "only version 1 exists");
  }
  Policy p;
  VIGIL_ASSIGN_OR_RETURN(const json* enclave, member(j, "", "enclave_key"));
  VIGIL_ASSIGN_OR_RETURN(p.enclave_key, key_field(*enclave, "enclave_key"));
  VIGIL_ASSIGN_OR_RETURN(const json* groups, member(j, "", "any_of"));
  if (!groups->is_array() || groups->empty() || groups->size() > kMaxPolicyGroups) {
    return bad("any_of", "must be an array of 1 to " + std::to_string(kMaxPolicyGroups) + " groups");
  }
  for (std::size_t i = 0; i < groups->size(); ++i) {
    const std::string where = "any_of[" + std::to_string(i) + "]";
    const json& group = (*groups)[i];
    VIGIL_RETURN_IF_ERROR(only_members(group, where, {"all_of"}));
    VIGIL_ASSIGN_OR_RETURN(const json* all_of, member(group, where, "all_of"));
    if (!all_of->is_array() || all_of->empty()) return bad(where + ".all_of", "must be a non-empty array");
    PolicyGroup g;
    for (std::size_t c = 0; c < all_of->size(); ++c) {
      VIGIL_RETURN_IF_ERROR(add_condition(g, (*all_of)[c], where + ".all_of[" + std::to_string(c) + "]"));
    }
    if (!g.requester && !g.attested) {
      return bad(where + ".all_of", "names no requester and no attested enclave, so anyone could ask for the secret");
    }
    p.any_of.push_back(std::move(g));
  }
  VIGIL_RETURN_IF_ERROR(check_policy(p));
  return p;
}

}  // namespace vigil::client
