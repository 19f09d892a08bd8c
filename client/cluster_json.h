// The JSON form of a ClusterDescription, shared by parse_cluster_description
// and the CLI's cluster.json (which adds a local cluster's process fields
// beside these). Internal to vigil.
#pragma once

#include <nlohmann/json.hpp>

#include "vigil/client.h"

namespace vigil::client {

nlohmann::json cluster_description_to_json(const ClusterDescription& cluster);
// kBadEncoding naming the field (prefixed by `where`, e.g. the file's path).
Result<ClusterDescription> cluster_description_from_json(const nlohmann::json& json, const std::string& where);

}  // namespace vigil::client
