#include <algorithm>
#include <future>
#include <set>

#include "client/cluster_json.h"
#include "client/helper_threads.h"
#include "client/node_api.h"

namespace vigil::client {

using nlohmann::json;

json cluster_description_to_json(const ClusterDescription& c) {
  json nodes = json::array();
  for (const auto& n : c.nodes) nodes.push_back({{"index", n.index}, {"api", n.api}});
  json shares = json::array();
  for (const auto& s : c.public_shares) shares.push_back(to_hex(s));
  return {{"version", 1},
          {"curve", std::string(curve_name(c.curve))},
          {"threshold", c.threshold},
          {"parties", c.nodes.size()},
          {"key_epoch", c.key_epoch},
          {"group_public_key", to_hex(c.group_public_key)},
          {"public_shares", shares},
          {"nodes", nodes}};
}

namespace {

// A cluster is at most this large; more is a malformed description.
constexpr std::uint64_t kMaxNodes = 4096;

// The field as an unsigned integer no larger than `max` (JSON numbers like
// -1, 2.5 or 1e20 are refused, never truncated).
Result<std::uint64_t> unsigned_field(const json& j, const char* name, std::uint64_t max) {
  const auto it = j.find(name);
  if (it == j.end()) return make_error(ErrorCode::kBadEncoding, std::string(name) + ": missing");
  if (!it->is_number_unsigned() || it->get<std::uint64_t>() > max) {
    return make_error(ErrorCode::kBadEncoding,
                      std::string(name) + ": must be an integer from 0 to " + std::to_string(max));
  }
  return it->get<std::uint64_t>();
}

}  // namespace

Result<ClusterDescription> cluster_description_from_json(const json& j, const std::string& where) {
  auto bad = [&](const std::string& why) { return make_error(ErrorCode::kBadEncoding, where + ": " + why); };
  auto field = [&](const json& object, const char* name, std::uint64_t max) -> Result<std::uint64_t> {
    auto v = unsigned_field(object, name, max);
    if (!v) return bad(v.error().message);
    return v;
  };
  if (!j.is_object()) return bad("not a JSON object");
  ClusterDescription c;
  try {
    auto curve = parse_curve_name(j.at("curve").get<std::string>());
    if (!curve) return bad("curve: " + curve.error().message);
    c.curve = *curve;
    VIGIL_ASSIGN_OR_RETURN(c.threshold, field(j, "threshold", kMaxNodes));
    if (j.contains("key_epoch")) {
      VIGIL_ASSIGN_OR_RETURN(std::uint64_t epoch, field(j, "key_epoch", UINT32_MAX));
      c.key_epoch = static_cast<std::uint32_t>(epoch);
    } else {
      c.key_epoch = 1;
    }
    auto key = from_hex(j.value("group_public_key", std::string()));
    if (!key) return bad("group_public_key: not hex");
    c.group_public_key = std::move(key).value();
    if (c.has_key()) {
      if (c.key_epoch == 0) return bad("key_epoch: 0 names no key");
      const json& shares = j.at("public_shares");
      if (!shares.is_array() || shares.size() > kMaxNodes) return bad("public_shares: must be an array of hex");
      for (const auto& hex : shares) {
        auto share = from_hex(hex.get<std::string>());
        if (!share) return bad("public_shares: not hex");
        c.public_shares.push_back(std::move(share).value());
      }
    }
    const json& nodes = j.at("nodes");
    if (!nodes.is_array() || nodes.size() > kMaxNodes) return bad("nodes: must be an array of {index, api}");
    std::set<ParticipantIndex> seen;
    for (const auto& n : nodes) {
      VIGIL_ASSIGN_OR_RETURN(std::uint64_t index, field(n, "index", kMaxNodes));
      if (index == 0 || !seen.insert(static_cast<ParticipantIndex>(index)).second) {
        return bad("nodes: index " + std::to_string(index) + " is 0 or repeated");
      }
      c.nodes.push_back({static_cast<ParticipantIndex>(index), n.at("api").get<std::string>()});
    }
  } catch (const json::exception& e) {
    return bad(e.what());
  }
  // A cluster still starting, or started without a key, has no group key yet.
  if (c.nodes.empty() || c.threshold == 0 || (c.has_key() && c.threshold > c.nodes.size())) {
    return bad("inconsistent threshold or nodes");
  }
  for (const auto& n : c.nodes) {
    if (c.has_key() && n.index > c.public_shares.size()) {
      return bad("node " + std::to_string(n.index) + " has no public share (public_shares lists " +
                 std::to_string(c.public_shares.size()) + ")");
    }
  }
  return c;
}

Result<ClusterDescription> parse_cluster_description(std::string_view text) {
  if (text.size() > kMaxClusterDescriptionBytes) {
    return make_error(ErrorCode::kBadEncoding,
                      "cluster description: larger than " + std::to_string(kMaxClusterDescriptionBytes) + " bytes");
  }
  // Non-recursive parse without exceptions: malformed input is "discarded".
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return make_error(ErrorCode::kBadEncoding, "cluster description: not valid JSON");
  return cluster_description_from_json(j, "cluster description");
}

Result<ClusterDescription> fetch_cluster_description(HttpTransport& transport, std::span<const std::string> node_urls,
                                                     std::chrono::milliseconds timeout) {
  if (node_urls.empty()) return make_error(ErrorCode::kInvalidInput, "no node URLs");
  std::vector<std::future<Result<v1::StatusResponse>>> asked;
  for (const auto& url : node_urls) {
    asked.push_back(
        HelperThreads::shared().submit([&transport, &url, timeout] { return fetch_status(transport, url, timeout); }));
  }
  // Every answer is waited for before any is judged: the tasks refer to
  // `transport` and `node_urls`.
  std::vector<Result<v1::StatusResponse>> answers;
  for (auto& a : asked) answers.push_back(a.get());
  // A node that is down or holds no key (yet, or any more) is left out: a
  // requester lists every node and recovers while t of them serve. A node
  // that answers with another key is never left out: that is an error.
  ClusterDescription cluster;
  std::string first_url, missing;
  ErrorCode missing_code = ErrorCode::kNotFound;
  for (std::size_t i = 0; i < node_urls.size(); ++i) {
    auto& status = answers[i];
    ClusterDescription reported;
    // A node without a key reports no curve either: it is left out, not an error.
    if (status && !status->group_public_key().empty()) VIGIL_RETURN_IF_ERROR(describe_key(*status, reported));
    if (!status || !reported.has_key()) {
      missing += (missing.empty() ? "" : "; ") + node_urls[i] + ": " +
                 (status ? std::string("holds no key yet") : status.error().message);
      if (!status) missing_code = status.error().code;
      continue;
    }
    if (first_url.empty()) {
      cluster = std::move(reported);
      first_url = node_urls[i];
    } else if (reported.curve != cluster.curve || reported.threshold != cluster.threshold ||
               reported.key_epoch != cluster.key_epoch || reported.group_public_key != cluster.group_public_key ||
               reported.public_shares != cluster.public_shares) {
      return make_error(ErrorCode::kVerificationFailed,
                        node_urls[i] + " reports another key than " + first_url + " (or another epoch of it)");
    }
    cluster.nodes.push_back({status->node_index(), node_urls[i]});
  }
  // Every listed node answering settles it, however few were listed (a
  // heartbeat to one node). With some silent, the nodes that answer must be
  // a majority of those listed and at least t: the threshold is theirs to
  // report, so t alone would let one liar claiming t = 1 stand for the
  // cluster, and a protect would encrypt to its key.
  if (cluster.nodes.empty()) {
    return make_error(missing_code,
                      "none of the " + std::to_string(node_urls.size()) + " nodes reported a key: " + missing);
  }
  const std::size_t needed = std::max(cluster.threshold, node_urls.size() / 2 + 1);
  if (!missing.empty() && cluster.nodes.size() < needed) {
    return make_error(missing_code,
                      "only " + std::to_string(cluster.nodes.size()) + " of " + std::to_string(node_urls.size()) +
                          " nodes reported the key, and " + std::to_string(needed) +
                          " (t, and a majority of those listed) must agree when some are silent: " + missing);
  }
  std::set<ParticipantIndex> indices;
  for (const auto& n : cluster.nodes) {
    if (n.index == 0 || n.index > cluster.public_shares.size() || !indices.insert(n.index).second) {
      return make_error(ErrorCode::kVerificationFailed,
                        n.api + " reports index " + std::to_string(n.index) + ", outside 1.." +
                            std::to_string(cluster.public_shares.size()) + " or taken by another URL");
    }
  }
  return cluster;
}

}  // namespace vigil::client
