// vigil audit verify: reads every node's audit chain through its API and
// checks it entry by entry (proto/audit.h): seq without gaps, each entry
// naming the hash of the one before, each signed by the node's identity
// key. The head of each chain is remembered in a file, so that a chain
// later cut short or rewritten below that head fails too.
#include <google/protobuf/util/json_util.h>

#include <nlohmann/json.hpp>

#include "cluster_file.h"
#include "files.h"
#include "http.h"
#include "node/identity.h"
#include "protected_client.h"
#include "proto/audit.h"

namespace vigil::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct AuditedNode {
  std::string name;  // "node 2"
  std::string api;
  Ed25519PublicKey identity{};
};

struct Head {
  std::uint64_t seq = 0;
  std::string hash;  // hex
};

constexpr std::size_t kPage = 1000;

// Walks one node's chain from entry 1 up to the head it reported first
// (entries appended meanwhile wait for the next run); the head it verified.
Result<Head> verify_chain(const AuditedNode& node, const std::optional<Head>& remembered,
                          std::chrono::milliseconds timeout) {
  proto::AuditChainVerifier chain(node.identity);
  v1::AuditPage page;
  std::optional<std::uint64_t> target;  // the head reported by the first page
  while (true) {
    const std::string url =
        node.api + "/v1/audit?from=" + std::to_string(chain.seq() + 1) + "&limit=" + std::to_string(kPage);
    VIGIL_ASSIGN_OR_RETURN(client::HttpResponse r, http_request("GET", url, "", timeout));
    if (r.status != 200) return make_error(ErrorCode::kTransport, "GET /v1/audit answered " + std::to_string(r.status));
    page.Clear();
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;
    if (!google::protobuf::util::JsonStringToMessage(r.body, &page, options).ok()) {
      return make_error(ErrorCode::kBadEncoding, "GET /v1/audit: malformed page");
    }
    if (!target) target = page.head_seq();
    for (const auto& e : page.entries()) {
      if (chain.seq() >= *target) break;
      VIGIL_RETURN_IF_ERROR(chain.add(e));
      if (remembered && e.seq() == remembered->seq && to_hex(chain.head()) != remembered->hash) {
        return make_error(ErrorCode::kVerificationFailed,
                          "audit entry " + std::to_string(e.seq()) + ": differs from the one seen before (rewritten)");
      }
    }
    if (page.entries().empty() || chain.seq() >= *target) break;
  }
  if (chain.seq() != *target) {
    return make_error(ErrorCode::kVerificationFailed, "the node reports head " + std::to_string(*target) +
                                                          " but its entries end at " + std::to_string(chain.seq()));
  }
  if (page.head_seq() == chain.seq() && !std::ranges::equal(as_bytes(page.head_hash()), chain.head())) {
    return make_error(ErrorCode::kVerificationFailed, "the node reports a head hash its entries do not have");
  }
  if (remembered && chain.seq() < remembered->seq) {
    return make_error(ErrorCode::kVerificationFailed, "the chain ends at entry " + std::to_string(chain.seq()) +
                                                          ", but entry " + std::to_string(remembered->seq) +
                                                          " was seen before (truncated)");
  }
  return Head{chain.seq(), to_hex(chain.head())};
}

Result<std::vector<AuditedNode>> nodes_of_cluster(const fs::path& dir) {
  VIGIL_ASSIGN_OR_RETURN(ClusterFile cluster, load_cluster(dir));
  std::vector<AuditedNode> out;
  for (std::size_t i = 0; i < cluster.description.nodes.size(); ++i) {
    const auto& n = cluster.description.nodes[i];
    auto identity = node::load_identity(dir / cluster.processes[i].dir);
    if (!identity) {
      return make_error(identity.error().code, "node " + std::to_string(n.index) + ": " + identity.error().message);
    }
    out.push_back({"node " + std::to_string(n.index), n.api, identity->public_key});
  }
  return out;
}

int run_verify(const std::string& dir, const std::vector<std::string>& urls, const std::vector<std::string>& identities,
               std::string heads_file, unsigned timeout_ms) {
  std::vector<AuditedNode> nodes;
  if (!dir.empty()) {
    auto found = nodes_of_cluster(dir);
    if (!found) return fail("audit verify", found.error(), kExitUsage);
    nodes = std::move(found).value();
    if (heads_file.empty()) heads_file = (fs::path(dir) / "audit-heads.json").string();
  } else {
    if (urls.empty() || urls.size() != identities.size()) {
      return fail("audit verify", "pass --cluster DIR, or --node URL --identity HEX for each node", kExitUsage);
    }
    for (std::size_t i = 0; i < urls.size(); ++i) {
      auto key = from_hex_exact(identities[i], 32);
      if (!key) return fail("audit verify", "--identity: expected 64 hex digits", kExitUsage);
      AuditedNode n{urls[i], urls[i], {}};
      std::copy(key->begin(), key->end(), n.identity.begin());
      nodes.push_back(std::move(n));
    }
  }
  json heads = json::object();
  if (!heads_file.empty() && fs::exists(heads_file)) {
    auto text = read_file(heads_file, 1u << 20);
    if (text) heads = json::parse(*text, nullptr, false);
    if (!text || heads.is_discarded() || !heads.is_object()) {
      return fail("audit verify", heads_file + ": not a file of remembered heads", kExitUsage);
    }
  }
  int exit = kExitOk;
  for (const auto& n : nodes) {
    const std::string key = to_hex(n.identity);
    std::optional<Head> remembered;
    if (heads.contains(key)) {
      const auto& h = heads[key];
      if (!h.is_object() || !h.contains("seq") || !h["seq"].is_number_unsigned() || !h.contains("hash") ||
          !h["hash"].is_string()) {
        return fail("audit verify", heads_file + ": the head remembered for " + n.name + " is malformed", kExitUsage);
      }
      remembered = Head{h["seq"].get<std::uint64_t>(), h["hash"].get<std::string>()};
    }
    auto head = verify_chain(n, remembered, std::chrono::milliseconds(timeout_ms));
    if (!head) {
      std::cout << n.name << ": FAILED: " << head.error().message << "\n";
      exit = kExitFailure;
      continue;
    }
    std::cout << n.name << ": " << head->seq << " entries, chain and signatures intact"
              << (remembered ? ", extends the head seen before" : "") << "\n";
    heads[key] = {{"seq", head->seq}, {"hash", head->hash}};
  }
  if (!heads_file.empty()) {
    if (auto s = write_file(heads_file, heads.dump(2) + "\n", FileMode::kPublic, true); !s) {
      return fail("audit verify", s.error());
    }
  }
  return exit;
}

}  // namespace

void register_audit(CLI::App& app, int& exit_code) {
  auto* audit = app.add_subcommand("audit", "The nodes' audit chains of recovery decisions.");
  audit->require_subcommand(1);
  struct Options {
    std::string dir, heads;
    std::vector<std::string> urls, identities;
    unsigned timeout_ms = 5000;
  };
  auto o = std::make_shared<Options>();
  auto* verify = audit->add_subcommand(
      "verify",
      "Check every node's audit chain: entries numbered without gaps, each naming the hash of the\n"
      "one before and signed by the node's identity key. Names the first bad entry of each node.\n"
      "Each chain's head is remembered (--heads, DIR/audit-heads.json by default), so a chain cut\n"
      "short or rewritten later fails too. Exit 0 only when every chain verifies.");
  verify->add_option("--cluster", o->dir, "Local cluster folder (cluster.json; identities from the node folders)")
      ->check(CLI::ExistingDirectory);
  verify->add_option("--node", o->urls, "A node's API URL (repeat; with --identity for each)");
  verify->add_option("--identity", o->identities, "That node's Ed25519 identity public key (64 hex)");
  verify->add_option("--heads", o->heads, "File of remembered chain heads");
  verify->add_option("--timeout-ms", o->timeout_ms, "Per-request timeout (default 5000)");
  verify->callback(
      [o, &exit_code] { exit_code = run_verify(o->dir, o->urls, o->identities, o->heads, o->timeout_ms); });
}

}  // namespace vigil::cli
