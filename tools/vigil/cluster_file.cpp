#include "cluster_file.h"

#include <nlohmann/json.hpp>

#include "files.h"

namespace vigil::cli {

using nlohmann::json;

Result<ClusterFile> load_cluster(const std::filesystem::path& dir) {
  const auto path = dir / "cluster.json";
  VIGIL_ASSIGN_OR_RETURN(std::string text, read_file(path, 1u << 20));
  json j = json::parse(text, nullptr, false);
  auto bad = [&](const std::string& why) { return make_error(ErrorCode::kBadEncoding, path.string() + ": " + why); };
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  ClusterFile c;
  try {
    c.curve = j.at("curve").get<std::string>();
    c.threshold = j.at("threshold").get<unsigned>();
    c.group_public_key = j.at("group_public_key").get<std::string>();
    c.public_shares = j.at("public_shares").get<std::vector<std::string>>();
    c.requester_key = j.value("requester_key", std::string("requester.key"));
    c.operator_key = j.value("operator_key", std::string("operator.key"));
    c.key_epoch = j.value("key_epoch", 1u);
    for (const auto& n : j.at("nodes")) {
      c.nodes.push_back({n.at("index").get<unsigned>(), n.at("api").get<std::string>(), n.at("peer").get<std::string>(),
                         n.value("pid", 0), n.value("dir", std::string())});
    }
  } catch (const json::exception& e) {
    return bad(e.what());
  }
  // A cluster still starting, or started without a key (cluster up --no-key), has no group key yet.
  const bool keyed = !c.group_public_key.empty();
  if (c.nodes.empty() || c.threshold == 0 || (keyed && c.threshold > c.nodes.size())) {
    return bad("inconsistent threshold or nodes");
  }
  if (!keyed) c.public_shares.clear();
  return c;
}

Status save_cluster(const std::filesystem::path& dir, const ClusterFile& c) {
  json nodes = json::array();
  for (const auto& n : c.nodes) {
    nodes.push_back({{"index", n.index}, {"api", n.api}, {"peer", n.peer}, {"pid", n.pid}, {"dir", n.dir}});
  }
  json j = {{"version", 1},
            {"curve", c.curve},
            {"threshold", c.threshold},
            {"parties", c.nodes.size()},
            {"key_epoch", c.key_epoch},
            {"group_public_key", c.group_public_key},
            {"public_shares", c.public_shares},
            {"requester_key", c.requester_key},
            {"operator_key", c.operator_key},
            {"nodes", nodes}};
  return write_file(dir / "cluster.json", j.dump(2) + "\n", FileMode::kPublic, true);
}

}  // namespace vigil::cli
