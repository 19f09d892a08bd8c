#include "node/config.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#define TOML_EXCEPTIONS 1
#include <toml++/toml.h>

namespace vigil::node {
namespace {

Error config_error(const std::string& key, const std::string& problem) {
  return make_error(ErrorCode::kInvalidInput, key + ": " + problem);
}

Result<Ed25519PublicKey> parse_key(const toml::node_view<const toml::node>& v, const std::string& key) {
  auto text = v.value<std::string>();
  if (!text) return config_error(key, "missing (64 hex digits)");
  auto bytes = from_hex_exact(*text, 32);
  if (!bytes) return config_error(key, "expected 64 hex digits");
  Ed25519PublicKey out{};
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

template <class T>
Result<T> required(const toml::node_view<const toml::node>& v, const std::string& key, const char* what) {
  if (!v) return config_error(key, std::string("missing (") + what + ")");
  auto value = v.value<T>();
  if (!value) return config_error(key, std::string("must be ") + what);
  return *value;
}

// [[operators]]: tables of a name and an Ed25519 key.
Result<std::vector<NamedKey>> parse_named_keys(const toml::table& root, const std::string& table) {
  std::vector<NamedKey> out;
  const auto* array = root[table].as_array();
  if (!array) {
    if (root.contains(table)) return config_error(table, "must be an array of tables ([[" + table + "]])");
    return out;
  }
  for (std::size_t i = 0; i < array->size(); ++i) {
    const std::string key = table + "[" + std::to_string(i) + "]";
    const toml::node_view<const toml::node> q{&static_cast<const toml::node&>((*array)[i])};
    NamedKey named;
    VIGIL_ASSIGN_OR_RETURN(named.name, required<std::string>(q["name"], key + ".name", "a string"));
    VIGIL_ASSIGN_OR_RETURN(named.key, parse_key(q["key"], key + ".key"));
    out.push_back(named);
  }
  return out;
}

Result<std::uint64_t> positive(const toml::node_view<const toml::node>& v, const std::string& key,
                               std::uint64_t fallback) {
  if (!v) return fallback;
  auto value = v.value<std::int64_t>();
  if (!value || *value <= 0) return config_error(key, "must be a positive integer");
  return static_cast<std::uint64_t>(*value);
}

}  // namespace

Result<Endpoint> parse_endpoint(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return make_error(ErrorCode::kInvalidInput, "expected host:port, got '" + text + "'");
  Endpoint e;
  e.host = text.substr(0, colon);
  // A name or an address, nothing else: the host is written back into
  // node.toml and into logs, where a quote or a newline would be trouble.
  const bool plain_host = e.host.size() <= 253 && std::all_of(e.host.begin(), e.host.end(), [](char ch) {
                            return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '.' || ch == '-' ||
                                   ch == ':' || ch == '[' || ch == ']';
                          });
  if (!plain_host) {
    return make_error(ErrorCode::kInvalidInput, "host in '" + text + "' must be a name or an address");
  }
  const std::string port = text.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(port) > 65535) {
    return make_error(ErrorCode::kInvalidInput, "port in '" + text + "' must be a number from 0 to 65535");
  }
  e.port = static_cast<std::uint16_t>(std::stoul(port));
  return e;
}

const PeerConfig* NodeConfig::peer(ParticipantIndex i) const {
  for (const auto& p : peers) {
    if (p.index == i) return &p;
  }
  return nullptr;
}

PeerLinkSettings NodeConfig::peer_links() const {
  return {index, peer_listen, peers, limits.max_frame_bytes, limits.peer_queue_depth, limits.read_timeout};
}

ApiSettings NodeConfig::api() const {
  return {api_listen,
          limits.max_request_bytes,
          limits.max_connections,
          limits.max_connections_per_source,
          limits.max_request_bytes_in_flight,
          limits.read_timeout};
}

WorkSettings NodeConfig::work() const {
  const std::size_t cores = std::max(1u, std::thread::hardware_concurrency());
  return {limits.worker_threads == 0 ? cores : limits.worker_threads, limits.max_queued_requests};
}

ServiceSettings NodeConfig::service() const {
  return {index, peers, limits.request_max_age, limits.max_ciphertexts, limits.clock_skew};
}

CeremonySettings NodeConfig::ceremonies() const {
  CeremonySettings s{index, {}, {}, operator_quorum, threshold_floor_percent};
  for (const auto& p : peers) s.peer_identities.emplace(p.index, p.identity);
  for (const auto& o : operators) s.operators.push_back(o.key);
  return s;
}

Result<NodeConfig> parse_node_config(const std::string& toml_text, const std::filesystem::path& base_dir) {
  toml::table root;
  try {
    root = toml::parse(toml_text);
  } catch (const toml::parse_error& e) {
    std::ostringstream where;
    where << "line " << e.source().begin.line << ", column " << e.source().begin.column;
    return make_error(ErrorCode::kInvalidInput,
                      "config is not valid TOML (" + where.str() + "): " + std::string(e.description()));
  }
  const toml::table& r = root;
  NodeConfig c;
  VIGIL_ASSIGN_OR_RETURN(std::int64_t index, required<std::int64_t>(r["node"]["index"], "node.index", "an integer"));
  if (index < 1 || index > static_cast<std::int64_t>(kMaxParticipants)) {
    return config_error("node.index", "must be between 1 and " + std::to_string(kMaxParticipants));
  }
  c.index = static_cast<ParticipantIndex>(index);
  VIGIL_ASSIGN_OR_RETURN(std::string data_dir, required<std::string>(r["node"]["data_dir"], "node.data_dir", "a path"));
  c.data_dir = std::filesystem::path(data_dir).is_absolute() ? std::filesystem::path(data_dir) : base_dir / data_dir;
  c.data_dir = c.data_dir.lexically_normal();  // "/var/lib/vigil/." reads "/var/lib/vigil"
  if (!c.data_dir.has_filename() && c.data_dir.has_parent_path()) c.data_dir = c.data_dir.parent_path();
  c.log_format = r["node"]["log_format"].value_or(std::string("text"));
  if (c.log_format != "text" && c.log_format != "json")
    return config_error("node.log_format", "must be \"text\" or \"json\"");
  c.log_level = r["node"]["log_level"].value_or(std::string("info"));
  static const std::set<std::string> kLevels = {"trace", "debug", "info", "warn", "error", "critical", "off"};
  if (!kLevels.count(c.log_level))
    return config_error("node.log_level", "must be one of trace, debug, info, warn, error");

  for (auto [key, target] : {std::pair{"peer", &c.peer_listen}, std::pair{"api", &c.api_listen}}) {
    const std::string name = std::string("listen.") + key;
    VIGIL_ASSIGN_OR_RETURN(std::string text, required<std::string>(r["listen"][key], name, "\"host:port\""));
    auto e = parse_endpoint(text);
    if (!e) return config_error(name, e.error().message);
    *target = *e;
  }

  if (const auto* peers = r["peers"].as_array()) {
    std::set<ParticipantIndex> seen = {c.index};
    for (std::size_t i = 0; i < peers->size(); ++i) {
      const std::string key = "peers[" + std::to_string(i) + "]";
      const toml::node_view<const toml::node> p{&static_cast<const toml::node&>((*peers)[i])};
      PeerConfig peer;
      VIGIL_ASSIGN_OR_RETURN(std::int64_t pi, required<std::int64_t>(p["index"], key + ".index", "an integer"));
      if (pi < 1 || pi > static_cast<std::int64_t>(kMaxParticipants)) {
        return config_error(key + ".index", "must be between 1 and " + std::to_string(kMaxParticipants));
      }
      peer.index = static_cast<ParticipantIndex>(pi);
      if (!seen.insert(peer.index).second) {
        return config_error(key + ".index", "index " + std::to_string(pi) + " appears twice (or is this node's own)");
      }
      VIGIL_ASSIGN_OR_RETURN(std::string address,
                             required<std::string>(p["address"], key + ".address", "\"host:port\""));
      auto e = parse_endpoint(address);
      if (!e) return config_error(key + ".address", e.error().message);
      peer.address = *e;
      VIGIL_ASSIGN_OR_RETURN(peer.identity, parse_key(p["identity"], key + ".identity"));
      c.peers.push_back(peer);
    }
  } else if (root.contains("peers")) {
    return config_error("peers", "must be an array of tables ([[peers]])");
  }

  if (root.contains("requesters")) {
    return config_error("requesters",
                        "no longer read: who may recover a secret is named by its own release "
                        "policy (docs/policies.md); remove [[requesters]]");
  }
  VIGIL_ASSIGN_OR_RETURN(c.operators, parse_named_keys(r, "operators"));

  const auto cer = r["ceremonies"];
  VIGIL_ASSIGN_OR_RETURN(c.operator_quorum,
                         positive(cer["operator_quorum"], "ceremonies.operator_quorum", c.operator_quorum));
  if (!c.operators.empty() && c.operator_quorum > c.operators.size()) {
    return config_error("ceremonies.operator_quorum", "is more than the " + std::to_string(c.operators.size()) +
                                                          " keys under [[operators]]: no plan could start");
  }
  if (const auto floor = cer["threshold_floor_percent"]; floor) {
    const auto value = floor.value<std::int64_t>();
    if (!value || *value < 0 || *value > 99) {
      return config_error("ceremonies.threshold_floor_percent", "must be an integer from 0 to 99");
    }
    c.threshold_floor_percent = static_cast<unsigned>(*value);
  }

  const auto l = r["limits"];
  VIGIL_ASSIGN_OR_RETURN(c.limits.max_frame_bytes,
                         positive(l["max_frame_bytes"], "limits.max_frame_bytes", c.limits.max_frame_bytes));
  VIGIL_ASSIGN_OR_RETURN(c.limits.max_request_bytes,
                         positive(l["max_request_bytes"], "limits.max_request_bytes", c.limits.max_request_bytes));
  VIGIL_ASSIGN_OR_RETURN(c.limits.max_connections,
                         positive(l["max_connections"], "limits.max_connections", c.limits.max_connections));
  VIGIL_ASSIGN_OR_RETURN(c.limits.max_connections_per_source,
                         positive(l["max_connections_per_source"], "limits.max_connections_per_source",
                                  c.limits.max_connections_per_source));
  VIGIL_ASSIGN_OR_RETURN(c.limits.max_request_bytes_in_flight,
                         positive(l["max_request_bytes_in_flight"], "limits.max_request_bytes_in_flight",
                                  c.limits.max_request_bytes_in_flight));
  if (c.limits.max_request_bytes_in_flight < c.limits.max_request_bytes) {
    return config_error("limits.max_request_bytes_in_flight",
                        "must be at least limits.max_request_bytes, or no request of that size could ever be read");
  }
  if (const auto workers = l["worker_threads"]; workers) {
    const auto value = workers.value<std::int64_t>();
    if (!value || *value < 0 || *value > 1024) {
      return config_error("limits.worker_threads", "must be an integer from 0 (one per core) to 1024");
    }
    c.limits.worker_threads = static_cast<std::size_t>(*value);
  }
  VIGIL_ASSIGN_OR_RETURN(c.limits.max_queued_requests, positive(l["max_queued_requests"], "limits.max_queued_requests",
                                                                c.limits.max_queued_requests));
  VIGIL_ASSIGN_OR_RETURN(c.limits.peer_queue_depth,
                         positive(l["peer_queue_depth"], "limits.peer_queue_depth", c.limits.peer_queue_depth));
  VIGIL_ASSIGN_OR_RETURN(std::uint64_t timeout_ms, positive(l["read_timeout_ms"], "limits.read_timeout_ms", 10000));
  c.limits.read_timeout = std::chrono::milliseconds(timeout_ms);
  VIGIL_ASSIGN_OR_RETURN(c.limits.max_ciphertexts,
                         positive(l["max_ciphertexts"], "limits.max_ciphertexts", c.limits.max_ciphertexts));
  VIGIL_ASSIGN_OR_RETURN(std::uint64_t max_age, positive(l["request_max_age_s"], "limits.request_max_age_s", 86400));
  c.limits.request_max_age = std::chrono::seconds(max_age);
  VIGIL_ASSIGN_OR_RETURN(std::uint64_t skew, positive(l["clock_skew_s"], "limits.clock_skew_s", 60));
  if (skew > 86400) return config_error("limits.clock_skew_s", "must be at most 86400 (a day)");
  c.limits.clock_skew = std::chrono::seconds(skew);

  if (const auto* attestation = r["attestation"].as_table()) {
    for (const auto& [key, value] : *attestation) {
      if (key.str() != "test_root_ca") return config_error("attestation." + std::string(key.str()), "unknown key");
    }
    VIGIL_ASSIGN_OR_RETURN(std::string test_root, required<std::string>(r["attestation"]["test_root_ca"],
                                                                        "attestation.test_root_ca", "a path"));
    c.attestation_test_root =
        std::filesystem::path(test_root).is_absolute() ? std::filesystem::path(test_root) : base_dir / test_root;
  } else if (root.contains("attestation")) {
    return config_error("attestation", "must be a table");
  }
  return c;
}

Result<NodeConfig> load_node_config(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return make_error(ErrorCode::kInvalidInput, "cannot read config " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  auto config = parse_node_config(text.str(), path.parent_path().empty() ? "." : path.parent_path());
  if (!config) return make_error(config.error().code, path.string() + ": " + config.error().message);
  return config;
}

namespace {

// A TOML basic string: quoted, with quotes, backslashes and control
// characters escaped, so no value can end its line and start a table.
std::string toml_string(const std::string& s) {
  std::string out = "\"";
  for (const char ch : s) {
    const auto u = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

}  // namespace

std::string render_node_config(const NodeConfig& c) {
  std::ostringstream out;
  out << "# vigild configuration (see node/config.h for every key)\n\n"
      << "[node]\nindex = " << c.index << "\ndata_dir = " << toml_string(c.data_dir.string()) << "\n"
      << "log_format = " << toml_string(c.log_format) << "\nlog_level = " << toml_string(c.log_level) << "\n\n"
      << "[listen]\npeer = " << toml_string(c.peer_listen.to_string())
      << "\napi = " << toml_string(c.api_listen.to_string()) << "\n";
  for (const auto& p : c.peers) {
    out << "\n[[peers]]\nindex = " << p.index << "\naddress = " << toml_string(p.address.to_string())
        << "\nidentity = \"" << to_hex(p.identity) << "\"\n";
  }
  for (const auto& q : c.operators)
    out << "\n[[operators]]\nname = " << toml_string(q.name) << "\nkey = \"" << to_hex(q.key) << "\"\n";
  out << "\n[ceremonies]\noperator_quorum = " << c.operator_quorum
      << "\nthreshold_floor_percent = " << c.threshold_floor_percent << "\n";
  out << "\n[limits]\nmax_frame_bytes = " << c.limits.max_frame_bytes
      << "\nmax_request_bytes = " << c.limits.max_request_bytes << "\nmax_connections = " << c.limits.max_connections
      << "\nmax_connections_per_source = " << c.limits.max_connections_per_source
      << "\nmax_request_bytes_in_flight = " << c.limits.max_request_bytes_in_flight
      << "\nworker_threads = " << c.limits.worker_threads << "\nmax_queued_requests = " << c.limits.max_queued_requests
      << "\npeer_queue_depth = " << c.limits.peer_queue_depth << "\nread_timeout_ms = " << c.limits.read_timeout.count()
      << "\nrequest_max_age_s = " << c.limits.request_max_age.count()
      << "\nmax_ciphertexts = " << c.limits.max_ciphertexts << "\nclock_skew_s = " << c.limits.clock_skew.count()
      << "\n";
  if (!c.attestation_test_root.empty()) {
    out << "\n[attestation]\ntest_root_ca = " << toml_string(c.attestation_test_root.string()) << "\n";
  }
  return out.str();
}

}  // namespace vigil::node
