// The files and texts an operator or requester hands to vigil, which may
// come from someone else: node configuration (TOML) and peer endpoints,
// cluster descriptions and cluster.json, cluster entries, deal files. Each
// parser refuses cleanly or returns a value that passes its own checks.
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "cluster_entry.h"
#include "cluster_file.h"
#include "deal_file.h"
#include "node/config.h"
#include "vigil/client.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);

  if (const auto config = vigil::node::parse_node_config(text, "/var/lib/vigil"); config.ok()) {
    if (config->index == 0) std::abort();
  }
  (void)vigil::node::parse_endpoint(text);

  if (const auto description = vigil::client::parse_cluster_description(text); description.ok()) {
    if (description->threshold == 0 || description->nodes.empty()) std::abort();
  }
  (void)vigil::cli::parse_cluster_file(text, "cluster.json");
  const auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_discarded()) (void)vigil::cli::parse_node_entry(json);

  if (const auto deal = vigil::cli::parse_deal_file(text); deal.ok()) {
    std::visit(
        [](const auto& file) {
          if (file.threshold() == 0 || file.threshold() > file.parties()) std::abort();
        },
        *deal);
  }
  return 0;
}
