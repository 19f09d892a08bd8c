// vigil protect, vigil heartbeat, vigil agent (both, as a sidecar) and
// vigil recover (with prepare, sign and submit for requesters on separate
// machines): the enclave's and the requesters' side of conditional private
// decryption, through vigil::client.
#include <atomic>
#include <csignal>
#include <nlohmann/json.hpp>
#include <thread>

#include "cluster_file.h"
#include "files.h"
#include "keys.h"
#include "protected_client.h"
#include "proto/protected_secrets.h"
#include "vigil/dcap.h"

namespace vigil::cli {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxSecretBytes = proto::kMaxProtectedSecretBytes;

std::atomic<bool> stop_requested{false};
extern "C" void on_stop_signal(int) { stop_requested = true; }

// Sleeps up to `ms`, waking early when SIGINT or SIGTERM arrives.
void sleep_unless_stopped(std::uint64_t ms) {
  for (std::uint64_t slept = 0; slept < ms && !stop_requested; slept += 50) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min<std::uint64_t>(50, ms - slept)));
  }
}

json problems_json(const std::vector<client::NodeProblem>& problems) {
  json out = json::array();
  for (const auto& p : problems) out.push_back({{"node", p.index}, {"code", p.code}, {"message", p.problem}});
  return out;
}

// The policy of `vigil protect`: --policy FILE, or the common case from flags.
Result<Policy> policy_from(const std::string& policy_file, const std::vector<std::string>& requester_files,
                           std::uint32_t m, const std::string& silence, const Ed25519PublicKey& enclave) {
  if (!policy_file.empty()) {
    if (!requester_files.empty() || !silence.empty()) {
      return make_error(ErrorCode::kInvalidInput, "pass either --policy or --requester and --silence");
    }
    VIGIL_ASSIGN_OR_RETURN(std::string text, read_file(policy_file, kMaxPolicyBytes * 4));
    // A policy file may leave out the enclave key: it is --enclave-key's
    // (so that a fresh enclave with a key of its own protects under the
    // same file).
    json doc = json::parse(text, nullptr, false);
    if (doc.is_object() && !doc.contains("enclave_key")) {
      doc["enclave_key"] = to_hex(enclave);
      text = doc.dump();
    }
    auto policy = client::parse_policy_json(text);
    if (!policy) return make_error(policy.error().code, policy_file + ": " + policy.error().message);
    if (policy->enclave_key != enclave) {
      return make_error(ErrorCode::kInvalidInput,
                        policy_file + ": enclave_key: is not the public key of --enclave-key");
    }
    return policy;
  }
  if (requester_files.empty()) return make_error(ErrorCode::kInvalidInput, "name who may recover: --requester PUBFILE");
  if (silence.empty()) return make_error(ErrorCode::kInvalidInput, "--silence DURATION is required without --policy");
  Requesters requesters{m, {}};
  for (const auto& file : requester_files) {
    VIGIL_ASSIGN_OR_RETURN(Ed25519PublicKey key, read_public_key_file(file));
    requesters.keys.push_back(key);
  }
  std::sort(requesters.keys.begin(), requesters.keys.end());
  if (std::adjacent_find(requesters.keys.begin(), requesters.keys.end()) != requesters.keys.end()) {
    return make_error(ErrorCode::kInvalidInput, "--requester: the same key twice");
  }
  auto silence_ms = client::parse_duration_ms(silence);
  if (!silence_ms) return make_error(ErrorCode::kInvalidInput, "--silence: " + silence_ms.error().message);
  Policy policy;
  policy.enclave_key = enclave;
  policy.any_of.push_back(PolicyGroup{*silence_ms, std::move(requesters), {}, {}, {}});
  if (auto checked = check_policy(policy); !checked) {
    return make_error(ErrorCode::kInvalidInput, "policy from the flags: " + checked.error().message);
  }
  return policy;
}

// max_releases bounds the cluster's releases only when any two sets of t
// nodes share an honest one (docs/policies.md, "At most once").
Status release_limit_holds(const Policy& policy, const client::ClusterDescription& cluster) {
  const bool limited = std::any_of(policy.any_of.begin(), policy.any_of.end(),
                                   [](const PolicyGroup& g) { return g.max_releases.has_value(); });
  const std::size_t n = cluster.public_shares.size(), t = cluster.threshold;
  if (!limited || 2 * t > n) return {};
  return make_error(ErrorCode::kInvalidInput,
                    "max_releases cannot hold across this " + std::to_string(t) + "-of-" + std::to_string(n) +
                        " cluster: with 2t <= n, two disjoint sets of t nodes can each release once "
                        "(docs/policies.md); pass --force to protect anyway");
}

struct ProtectOptions {
  ClusterOptions cluster;
  std::string secret_file, enclave_key, silence, policy, out;
  std::vector<std::string> requesters;
  std::uint32_t m = 1;
  bool json = false, force = false;
};

int run_protect(const ProtectOptions& o) {
  // --out replaces an earlier key-id file, never anything else (a secret).
  std::error_code ec;
  if (!o.out.empty() && std::filesystem::exists(o.out, ec) && !parse_key_id(o.out)) {
    return fail("protect", "--out " + o.out + " exists and is not a key-id file: give another path", kExitUsage);
  }
  auto enclave = read_signing_key_file(o.enclave_key);
  if (!enclave) return fail("protect", enclave.error(), kExitUsage);
  auto policy = policy_from(o.policy, o.requesters, o.m, o.silence, enclave->public_key);
  if (!policy) return fail("protect", policy.error(), kExitUsage);
  auto secret = read_file(o.secret_file, kMaxSecretBytes);
  if (!secret) return fail("protect", secret.error(), kExitUsage);
  const SecretBytes plaintext(as_bytes(*secret));
  secure_wipe(secret->data(), secret->size());
  return with_cluster_client("protect", o.cluster, [&](const auto& vault) -> int {
    if (!o.force) {
      if (auto s = release_limit_holds(*policy, vault.cluster()); !s) return fail("protect", s.error(), kExitUsage);
    }
    auto p = vault.protect(*enclave, *policy, plaintext.span(), {o.cluster.timeout()});
    if (!p) return fail("protect", p.error());
    if (!o.out.empty()) {
      if (auto s = write_key_id_file(o.out, p->key_id, p->policy, true); !s) return fail("protect", s.error());
    }
    if (o.json) {
      std::cout << json{{"key_id", to_hex(p->key_id)},
                        {"policy_digest", to_hex(policy_digest(p->policy))},
                        {"accepted", p->accepted},
                        {"problems", problems_json(p->problems)}}
                       .dump(2)
                << "\n";
    } else {
      std::cout << "protected " << plaintext.size() << " bytes; nodes " << list_nodes(p->accepted) << " hold it\n"
                << "key id " << to_hex(p->key_id) << "\n";
      print_problems(p->problems);
    }
    return kExitOk;
  });
}

struct HeartbeatOptions {
  ClusterOptions cluster;
  std::string key_id, enclave_key, every, rotate_secret;
};

// One heartbeat, or with every_ms > 0 one per interval until SIGINT or
// SIGTERM, retrying with backoff while no node takes it. `rotation`, if
// any, goes with the first heartbeat that some node takes. Each outcome is
// logged with the time; the exit code is the last beat's.
template <class Vault>
int heartbeat_loop(const std::string& command, const Vault& vault, const Ed25519KeyPair& enclave,
                   const client::KeyId& key_id, std::uint64_t every_ms, std::optional<SecretBytes> rotation,
                   const ClusterOptions& cluster) {
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  SystemClock clock;
  std::uint64_t counter = 0;
  std::uint64_t backoff_ms = 1000;
  int last_exit = kExitOk;
  do {
    // The clock in milliseconds counts up across runs of this command too.
    counter = std::max<std::uint64_t>(counter + 1, static_cast<std::uint64_t>(clock.now_unix_ms()));
    std::optional<ByteSpan> replacement;
    if (rotation) replacement = rotation->span();
    auto beat = vault.heartbeat(enclave, key_id, counter, replacement, {cluster.timeout()});
    if (beat) {
      std::cout << "heartbeat " << counter << (rotation ? " (with the rotated secret)" : "") << ": nodes "
                << list_nodes(beat->accepted) << " took it\n";
      print_problems(beat->problems);
      // n - t + 1 nodes that took it leave no t that did not; fewer rely on
      // the nodes passing it on (docs/policies.md, the safety rule).
      const auto& c = vault.cluster();
      const std::size_t enough = c.public_shares.size() + 1 - c.threshold;  // n counts every node, asked or not
      if (beat->accepted.size() < enough) {
        std::cout << "  only " << beat->accepted.size() << " of the " << enough
                  << " nodes that keep the secret locked on their own took it; the others learn it from them\n";
      }
      rotation.reset();  // rotated once
      backoff_ms = 1000;
      last_exit = kExitOk;
      if (every_ms > 0) sleep_unless_stopped(every_ms);
    } else {
      std::cerr << "vigil " << command << ": heartbeat " << counter << ": " << beat.error().message << "\n";
      last_exit = kExitFailure;
      if (every_ms > 0) {
        // Retry sooner than the interval, backing off while nodes stay unreachable.
        sleep_unless_stopped(std::min(backoff_ms, every_ms));
        backoff_ms = std::min<std::uint64_t>(backoff_ms * 2, 60'000);
      }
    }
    std::cout.flush();
  } while (every_ms > 0 && !stop_requested);
  return last_exit;
}

Result<std::uint64_t> interval_ms(const std::string& text, const char* flag) {
  if (text.empty()) return std::uint64_t{0};
  auto d = client::parse_duration_ms(text);
  if (!d) return make_error(ErrorCode::kInvalidInput, std::string(flag) + ": " + d.error().message);
  return d;
}

int run_heartbeat(const HeartbeatOptions& o) {
  auto enclave = read_signing_key_file(o.enclave_key);
  if (!enclave) return fail("heartbeat", enclave.error(), kExitUsage);
  auto key_id = parse_key_id(o.key_id);
  if (!key_id) return fail("heartbeat", key_id.error(), kExitUsage);
  auto every_ms = interval_ms(o.every, "--every");
  if (!every_ms) return fail("heartbeat", every_ms.error(), kExitUsage);
  std::optional<SecretBytes> rotation;
  if (!o.rotate_secret.empty()) {
    auto text = read_file(o.rotate_secret, kMaxSecretBytes);
    if (!text) return fail("heartbeat", text.error(), kExitUsage);
    rotation.emplace(as_bytes(*text));
    secure_wipe(text->data(), text->size());
  }
  return with_cluster_client("heartbeat", o.cluster, [&](const auto& vault) -> int {
    return heartbeat_loop("heartbeat", vault, *enclave, *key_id, *every_ms, std::move(rotation), o.cluster);
  });
}

// Recovers with a signed (or attested) request and writes the secret; on failure each
// node's reason is printed and the exit code is 1.
template <class Vault>
int recover_with(const std::string& command, const Vault& vault, const client::RecoveryRequest& request,
                 const X25519KeyPair& response, const std::string& out, bool force, const ClusterOptions& cluster) {
  auto r = vault.recover(request, response, {cluster.timeout()});
  if (!r) {
    // One line per node: "only 0 of the 3 shares needed: node 1: ...; node 2: ...".
    std::string why = r.error().message;
    for (std::size_t at; (at = why.find("; node ")) != std::string::npos;) why.replace(at, 2, "\n  ");
    if (const auto colon = why.find(": node "); colon != std::string::npos) why.replace(colon, 2, ":\n  ");
    std::cerr << "vigil " << command << ": not recovered: " << why << "\n";
    return kExitFailure;
  }
  std::string plaintext(r->plaintext.span().begin(), r->plaintext.span().end());
  auto written = write_file(out, plaintext, FileMode::kSecret, force);
  secure_wipe(plaintext.data(), plaintext.size());
  if (!written) return fail(command, written.error());
  std::cout << "recovered " << r->plaintext.size() << " bytes with verified shares from nodes " << list_nodes(r->used)
            << "; written to " << out << "\n";
  print_problems(r->problems);
  return kExitOk;
}

struct AgentOptions {
  ProtectOptions protect;
  std::string every, state, key_id, dstack_socket = client::kDstackSocket;
};

// A fresh enclave of the same image gets its secret back by itself: a
// response key made here, a quote from dstack's guest agent over the
// request's report data, and the shares verified and combined. Writes the
// secret (mode 0600) and returns what the cluster holds it under.
template <class Vault>
int recover_by_attestation(const Vault& vault, const client::KeyId& key_id, const AgentOptions& o) {
  std::cout << "agent: " << o.protect.secret_file << " is absent: recovering key id " << to_hex(key_id)
            << " by attestation\n";
  const X25519KeyPair response = x25519_generate(system_rng());
  auto request = vault.prepare_recovery(key_id, response.public_key);
  const auto report_data = vault.report_data_for(request);
  auto quote = client::dstack_get_quote(o.dstack_socket, report_data);
  if (!quote) return fail("agent", quote.error());
  // The nodes check the binding too; checked here, a wrong answer is named
  // for what it is.
  auto parsed = dcap::parse_quote(*quote);
  if (!parsed) return fail("agent", "the dstack guest agent's answer: " + parsed.error().message);
  if (parsed->report_data() != report_data) {
    return fail("agent", "the dstack guest agent quoted other report data than the request's");
  }
  std::cout << "agent: quote of " << quote->size() << " bytes from the dstack guest agent (" << o.dstack_socket
            << ") binds the request\n";
  request.quote = std::move(quote).value();
  return recover_with("agent", vault, request, response, o.protect.secret_file, false, o.protect.cluster);
}

// The sidecar: protects the secret unless the state file names the key id
// it was protected under already, then heartbeats until stopped.
int run_agent(const AgentOptions& o) {
  auto every_ms = interval_ms(o.every, "--every");
  if (!every_ms) return fail("agent", every_ms.error(), kExitUsage);
  if (*every_ms == 0) return fail("agent", "--every DURATION is required", kExitUsage);
  const std::string state = o.state.empty() ? o.protect.secret_file + ".vigil.json" : o.state;
  auto enclave = read_signing_key_file(o.protect.enclave_key);
  if (!enclave) return fail("agent", enclave.error(), kExitUsage);
  std::optional<client::KeyId> known;
  if (std::filesystem::exists(state)) {
    auto text = read_file(state, 1u << 16);
    auto j = text ? json::parse(*text, nullptr, false) : json();
    auto id = j.is_object() && j.contains("key_id") && j["key_id"].is_string()
                  ? parse_key_id(j["key_id"].get<std::string>())
                  : Result<client::KeyId>(make_error(ErrorCode::kBadEncoding, "no key_id"));
    if (!id)
      return fail("agent", state + ": not an agent state file ({\"key_id\": hex}); remove it to protect again",
                  kExitUsage);
    known = *id;
    std::cout << "agent: the cluster holds this secret under key id " << to_hex(*known) << " (" << state << ")\n";
  }
  bool known_from_flag = false;  // not yet confirmed as this enclave's registration
  if (!known && !o.key_id.empty()) {
    auto id = parse_key_id(o.key_id);
    if (!id) return fail("agent", id.error(), kExitUsage);
    known = *id;
    known_from_flag = true;
  }
  const bool recover_first = !std::filesystem::exists(o.protect.secret_file);
  if (recover_first && !known) {
    return fail("agent",
                o.protect.secret_file + " is absent and no key id is known to recover it: pass --key-id (or --state)",
                kExitUsage);
  }
  if (recover_first || known_from_flag) {
    const int decided = with_cluster_client("agent", o.protect.cluster, [&](const auto& vault) -> int {
      if (recover_first) {
        if (const int exit = recover_by_attestation(vault, *known, o); exit != kExitOk) return exit;
      }
      // Heartbeats for that registration need its enclave key; with another
      // one, this enclave protects the secret anew under its own.
      auto policy = vault.fetch_policy(*known, {o.protect.cluster.timeout()});
      if (!policy) {
        // Not knowing is no reason to leave the registration: stop, and
        // decide on the next start (a recovered secret is written).
        return fail("agent", "the registration's policy: " + policy.error().message);
      }
      if (policy->enclave_key == enclave->public_key) return kExitOk;
      std::cout << "agent: the registration's enclave key is not --enclave-key: protecting the secret anew\n";
      known.reset();
      return kExitOk;
    });
    if (decided != kExitOk) return decided;
    if (known && !std::filesystem::exists(state)) {
      const json file{{"key_id", to_hex(*known)}};
      if (auto s = write_file(state, file.dump(2) + "\n", FileMode::kPublic, true); !s) return fail("agent", s.error());
    }
  }
  if (!known) {
    auto policy =
        policy_from(o.protect.policy, o.protect.requesters, o.protect.m, o.protect.silence, enclave->public_key);
    if (!policy) return fail("agent", policy.error(), kExitUsage);
    auto secret = read_file(o.protect.secret_file, kMaxSecretBytes);
    if (!secret) return fail("agent", secret.error(), kExitUsage);
    const SecretBytes plaintext(as_bytes(*secret));
    secure_wipe(secret->data(), secret->size());
    const int protected_exit = with_cluster_client("agent", o.protect.cluster, [&](const auto& vault) -> int {
      if (!o.protect.force) {
        if (auto s = release_limit_holds(*policy, vault.cluster()); !s) return fail("agent", s.error(), kExitUsage);
      }
      auto p = vault.protect(*enclave, *policy, plaintext.span(), {o.protect.cluster.timeout()});
      if (!p) return fail("agent", p.error());
      known = p->key_id;
      std::cout << "agent: protected the secret; nodes " << list_nodes(p->accepted) << " hold it; key id "
                << to_hex(p->key_id) << "\n";
      print_problems(p->problems);
      if (auto s = write_key_id_file(state, p->key_id, p->policy, true); !s) return fail("agent", s.error());
      return kExitOk;
    });
    if (protected_exit != kExitOk) return protected_exit;
  }
  return with_cluster_client("agent", o.protect.cluster, [&](const auto& vault) -> int {
    return heartbeat_loop("agent", vault, *enclave, *known, *every_ms, std::nullopt, o.protect.cluster);
  });
}

Result<client::RecoveryRequest> read_request(const std::string& path) {
  VIGIL_ASSIGN_OR_RETURN(std::string text, read_file(path, 1u << 20));
  auto r = client::parse_recovery_request_json(text);
  if (!r) return make_error(r.error().code, path + ": " + r.error().message);
  return r;
}

Result<X25519KeyPair> read_response_key(const std::string& path) {
  VIGIL_ASSIGN_OR_RETURN(SecretBytes secret, read_secret_key_file(path));
  VIGIL_ASSIGN_OR_RETURN(X25519PublicKey pub, x25519_public_key(secret.span()));
  return X25519KeyPair{std::move(secret), pub};
}

void register_recover(CLI::App& app, int& exit_code) {
  struct Options {
    ClusterOptions cluster;
    std::string key_id, out, request, response_key, quote, valid = "10m";
    std::vector<std::string> requester_keys;
    bool force = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "recover",
      "Recover a protected secret: one request, signed by every --requester-key, asks the nodes for\n"
      "decryption shares sealed to a fresh key; each node checks the secret's policy itself. Exit 0\n"
      "only with the verified secret written to --out; otherwise each node's reason is printed.\n"
      "When the requesters are on separate machines: recover prepare, then recover sign on each,\n"
      "then recover submit.");
  add_cluster_options(cmd, o->cluster);
  cmd->add_option("--key-id", o->key_id,
                  "The secret's key id: 64 hex digits as protect printed them, or protect's --out file");
  cmd->add_option("--requester-key", o->requester_keys, "A requester's Ed25519 secret key file (repeat for m-of-k)");
  cmd->add_option("--out", o->out, "Where to write the secret (mode 0600)");
  cmd->add_flag("--force", o->force, "Replace an existing --out file");
  cmd->require_subcommand(0, 1);
  cmd->callback([o, cmd, &exit_code] {
    if (!cmd->get_subcommands().empty()) return;
    if (o->key_id.empty() || o->requester_keys.empty() || o->out.empty()) {
      exit_code =
          fail("recover", "pass --key-id, --requester-key and --out (or use prepare, sign, submit)", kExitUsage);
      return;
    }
    auto key_id = parse_key_id(o->key_id);
    if (!key_id) return void(exit_code = fail("recover", key_id.error(), kExitUsage));
    std::vector<Ed25519KeyPair> signers;
    for (const auto& file : o->requester_keys) {
      auto k = read_signing_key_file(file);
      if (!k) return void(exit_code = fail("recover", k.error(), kExitUsage));
      signers.push_back(std::move(k).value());
    }
    exit_code = with_cluster_client("recover", o->cluster, [&](const auto& vault) -> int {
      const X25519KeyPair response = x25519_generate(system_rng());
      auto request = vault.prepare_recovery(*key_id, response.public_key);
      for (const auto& s : signers) request.sign(s);
      return recover_with("recover", vault, request, response, o->out, o->force, o->cluster);
    });
  });

  auto* prepare = cmd->add_subcommand("prepare",
                                      "Write an unsigned request (--request, JSON: the API's body) and the\n"
                                      "response key that will open the shares (--response-key, mode 0600).");
  add_cluster_options(prepare, o->cluster);
  prepare->add_option("--key-id", o->key_id, "The secret's key id")->required();
  prepare->add_option("--request", o->request, "Where to write the request")->required();
  prepare->add_option("--response-key", o->response_key, "Where to write the response key")->required();
  prepare->add_option("--valid", o->valid, "How long the request stays valid (default 10m; nodes allow up to a day)");
  prepare->add_flag("--force", o->force, "Replace existing files");
  prepare->callback([o, &exit_code] {
    auto key_id = parse_key_id(o->key_id);
    if (!key_id) return void(exit_code = fail("recover prepare", key_id.error(), kExitUsage));
    auto valid = client::parse_duration_ms(o->valid);
    if (!valid) return void(exit_code = fail("recover prepare", "--valid: " + valid.error().message, kExitUsage));
    exit_code = with_cluster_client("recover prepare", o->cluster, [&](const auto& vault) -> int {
      const X25519KeyPair response = x25519_generate(system_rng());
      auto request = vault.prepare_recovery(*key_id, response.public_key,
                                            std::chrono::milliseconds(static_cast<std::int64_t>(*valid)));
      if (auto s = write_file(o->response_key, to_hex(response.secret_key.span()) + "\n", FileMode::kSecret, o->force);
          !s) {
        return fail("recover prepare", s.error());
      }
      if (auto s =
              write_file(o->request, client::recovery_request_to_json(request) + "\n", FileMode::kPublic, o->force);
          !s) {
        return fail("recover prepare", s.error());
      }
      std::cout << "wrote " << o->request << " (to sign with recover sign) and " << o->response_key
                << " (keep it: it opens the shares)\n"
                << "for an attested request, the TEE quotes this report data: "
                << to_hex(vault.report_data_for(request)) << "\n  then: recover submit --quote QUOTE_FILE\n";
      return kExitOk;
    });
  });

  auto* sign = cmd->add_subcommand("sign", "Add a requester's signature to a prepared request, in place.");
  sign->add_option("--request", o->request, "The prepared request")->required()->check(CLI::ExistingFile);
  sign->add_option("--requester-key", o->requester_keys, "The requester's Ed25519 secret key file")->required();
  sign->callback([o, &exit_code] {
    auto request = read_request(o->request);
    if (!request) return void(exit_code = fail("recover sign", request.error(), kExitUsage));
    for (const auto& file : o->requester_keys) {
      auto k = read_signing_key_file(file);
      if (!k) return void(exit_code = fail("recover sign", k.error(), kExitUsage));
      request->sign(*k);
    }
    if (auto s = write_file(o->request, client::recovery_request_to_json(*request) + "\n", FileMode::kPublic, true);
        !s) {
      return void(exit_code = fail("recover sign", s.error()));
    }
    std::cout << "signed; the request carries " << request->signatures.size() << " signature(s)\n";
  });

  auto* submit = cmd->add_subcommand("submit", "Send a signed request and write the recovered secret.");
  add_cluster_options(submit, o->cluster);
  submit->add_option("--request", o->request, "The signed request")->required()->check(CLI::ExistingFile);
  submit->add_option("--response-key", o->response_key, "The response key prepare wrote")->required();
  submit->add_option("--out", o->out, "Where to write the secret (mode 0600)")->required();
  submit->add_flag("--force", o->force, "Replace an existing --out file");
  submit
      ->add_option("--quote", o->quote,
                   "A DCAP quote (raw or hex) of the report data prepare printed, for an attested policy")
      ->check(CLI::ExistingFile);
  submit->callback([o, &exit_code] {
    auto request = read_request(o->request);
    if (!request) return void(exit_code = fail("recover submit", request.error(), kExitUsage));
    if (!o->quote.empty()) {
      auto quote = read_quote_file(o->quote);
      if (!quote) return void(exit_code = fail("recover submit", quote.error(), kExitUsage));
      request->quote = std::move(quote).value();
    }
    auto response = read_response_key(o->response_key);
    if (!response) return void(exit_code = fail("recover submit", response.error(), kExitUsage));
    exit_code = with_cluster_client("recover submit", o->cluster, [&](const auto& vault) -> int {
      return recover_with("recover submit", vault, *request, *response, o->out, o->force, o->cluster);
    });
  });
}

// The cluster, the secret, the enclave key and the policy (from flags or a
// file): what protect and agent share.
void add_protect_options(CLI::App* cmd, ProtectOptions& o, bool secret_may_be_absent = false) {
  add_cluster_options(cmd, o.cluster);
  auto* secret = cmd->add_option("--secret-file", o.secret_file,
                                 secret_may_be_absent ? "The secret (at most 64 KiB); absent: recovered by attestation"
                                                      : "The secret (at most 64 KiB)");
  secret->required();
  if (!secret_may_be_absent) secret->check(CLI::ExistingFile);
  cmd->add_option("--enclave-key", o.enclave_key, "The enclave's Ed25519 secret key file (signs heartbeats)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--requester", o.requesters, "A requester's public key file (FILE.pub; repeat for m-of-k)");
  cmd->add_option("--m", o.m, "How many requesters must sign a recovery (default 1)");
  cmd->add_option("--silence", o.silence, "How long the enclave must be silent first: 500ms, 4s, 10m, 2h, 30d");
  cmd->add_option("--policy", o.policy, "A policy file (JSON, docs/policies.md) instead of the flags")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--force", o.force, "Protect even where max_releases cannot hold (2t <= n)");
}

}  // namespace

void register_protected_secrets(CLI::App& app, int& exit_code) {
  auto p = std::make_shared<ProtectOptions>();
  auto* protect =
      app.add_subcommand("protect",
                         "Protect a secret with the cluster under a release policy: it is encrypted to the group key\n"
                         "under the policy's digest and registered, signed by the enclave key, with every node. The\n"
                         "common policy from flags: the requesters (m of them) may recover it once the enclave has\n"
                         "sent no heartbeat for --silence. Prints the key id that heartbeat and recover take.");
  add_protect_options(protect, *p);
  protect->add_flag("--json", p->json, "Print the outcome as JSON (key_id, policy_digest, accepted, problems)");
  protect->add_option("--out", p->out,
                      "Also write {\"key_id\", \"policy_digest\"} to this file, which --key-id of heartbeat\n"
                      "and recover takes in place of the hex");
  protect->callback([p, &exit_code] { exit_code = run_protect(*p); });

  auto h = std::make_shared<HeartbeatOptions>();
  auto* heartbeat = app.add_subcommand(
      "heartbeat",
      "Tell every node the enclave is alive: one heartbeat signed by the enclave key, or with --every\n"
      "one per interval until stopped (SIGINT/SIGTERM), retrying with backoff while nodes fail. The\n"
      "counter is the clock in milliseconds, so it rises across runs.");
  add_cluster_options(heartbeat, h->cluster);
  heartbeat
      ->add_option("--key-id", h->key_id,
                   "The secret's key id: 64 hex digits as protect printed them, or protect's --out file")
      ->required();
  heartbeat->add_option("--enclave-key", h->enclave_key, "The enclave's Ed25519 secret key file")
      ->required()
      ->check(CLI::ExistingFile);
  heartbeat->add_option("--every", h->every, "Keep beating at this interval (500ms, 4s, 10m, ...)");
  heartbeat
      ->add_option("--rotate-secret", h->rotate_secret,
                   "Replace the protected secret with this file's contents (same policy)")
      ->check(CLI::ExistingFile);
  heartbeat->callback([h, &exit_code] { exit_code = run_heartbeat(*h); });

  register_recover(app, exit_code);

  auto a = std::make_shared<AgentOptions>();
  auto* agent =
      app.add_subcommand("agent",
                         "The sidecar an enclave application runs: protects the secret with the cluster unless it\n"
                         "did already (the key id is kept in --state, SECRET_FILE.vigil.json by default), then sends\n"
                         "a heartbeat every --every until stopped (SIGINT/SIGTERM), logging each outcome and retrying\n"
                         "with backoff while nodes fail. The policy flags are protect's. When the secret file is\n"
                         "absent (a fresh enclave of the same image), it first recovers the secret by attestation: a\n"
                         "quote from dstack's guest agent over the request, shares sealed to a key made here and\n"
                         "verified (the policy needs an attested condition; docs/attestation.md).");
  add_protect_options(agent, a->protect, /*secret_may_be_absent=*/true);
  agent->add_option("--every", a->every, "Heartbeat interval (500ms, 4s, 10m, ...)")->required();
  agent->add_option("--state", a->state, "Where the key id is kept (default SECRET_FILE.vigil.json)");
  agent->add_option("--key-id", a->key_id, "The key id to recover when the secret file is absent (or from --state)");
  agent->add_option("--dstack-socket", a->dstack_socket,
                    "dstack's guest agent, for quotes (default /var/run/dstack.sock)");
  agent->callback([a, &exit_code] { exit_code = run_agent(*a); });
}

}  // namespace vigil::cli
