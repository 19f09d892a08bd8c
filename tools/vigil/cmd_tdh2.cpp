// vigil encrypt / partial-decrypt / combine: TDH2 threshold decryption with
// the keys of a deal file, for developers, tests and scripted use.
#include <variant>

#include "cli.h"
#include "cluster_file.h"
#include "files.h"
#include "keys.h"
#include "protected_client.h"
#include "tdh2_files.h"

namespace vigil::cli {
namespace {

Result<AnyDealFile> load_deal(const std::string& path) {
  VIGIL_ASSIGN_OR_RETURN(std::string text, read_file(path));
  auto deal = parse_deal_file(text);
  if (!deal) return make_error(deal.error().code, path + ": " + deal.error().message);
  return deal;
}

// Whom `encrypt` encrypts to: a group key, from a deal file or a cluster.
struct EncryptionTarget {
  CurveId curve;
  Bytes group_key;  // encoded
  std::size_t threshold, parties;
};

Result<EncryptionTarget> target_from_deal(const std::string& path) {
  VIGIL_ASSIGN_OR_RETURN(AnyDealFile deal, load_deal(path));
  return std::visit(
      [](const auto& d) {
        using C = typename std::decay_t<decltype(d)>::CurveType;
        auto enc = d.group_public_key().encode();
        return EncryptionTarget{C::kId, Bytes(enc.begin(), enc.end()), d.threshold(), d.parties()};
      },
      deal);
}

// encrypt --cluster: protects the file under a requester-only policy for
// the requester key (--requester-key, or a local cluster's requester.key),
// with a one-time enclave key, and writes {"key_id": hex} for decrypt --cluster.
int protect_with_cluster(const std::string& dir, const std::string& requester_key, const std::string& in,
                         const std::string& out, bool force) {
  auto cluster = load_cluster(dir);
  if (!cluster) return fail("encrypt", cluster.error(), kExitUsage);
  auto requester = load_requester_key(dir, *cluster, requester_key);
  if (!requester) return fail("encrypt", requester.error(), kExitUsage);
  auto plaintext = read_file(in, proto::kMaxMessageBytes / 2);
  if (!plaintext) return fail("encrypt", plaintext.error(), kExitUsage);
  const auto enclave = ed25519_generate(system_rng());
  return with_cluster_client("encrypt", ClusterOptions{dir, "", 5000}, [&](const auto& vault) -> int {
    auto p = vault.protect(enclave, requester_only(enclave, requester->public_key), as_bytes(*plaintext));
    if (!p) return fail("encrypt", p.error());
    if (auto s = write_key_id_file(out, p->key_id, p->policy, force); !s) return fail("encrypt", s.error());
    std::cout << "protected " << plaintext->size() << " bytes for the cluster's requester; nodes "
              << list_nodes(p->accepted) << " hold it\nkey id " << to_hex(p->key_id) << "; written to " << out << "\n";
    print_problems(p->problems);
    return kExitOk;
  });
}

template <Curve C>
std::vector<Element<C>> public_shares_of(const DealFile<C>& deal) {
  std::vector<Element<C>> out;
  for (const auto& s : deal.shares) out.push_back(s.public_share);
  return out;
}

// Calls f(deal, ciphertext) when both are on the same curve.
template <class F>
int with_deal_and_ciphertext(const std::string& command, AnyDealFile& deal, proto::AnyCiphertext& ct, F&& f) {
  return std::visit(
      [&](auto& d, auto& c) -> int {
        using DC = std::decay_t<decltype(d)>;
        using CC = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<DC, DealFile<Ristretto255>> == std::is_same_v<CC, Tdh2Ciphertext<Ristretto255>>) {
          return f(d, c);
        } else {
          return fail(command, "the deal and the ciphertext are on different curves", kExitUsage);
        }
      },
      deal, ct);
}

struct Output {
  std::string out_path;
  bool json = false;
  bool force = false;
};

void add_output_options(CLI::App* cmd, Output& o, const std::string& what) {
  cmd->add_option("--out", o.out_path, "Write the " + what + " to this file");
  cmd->add_flag("--json", o.json, "Print the " + what + " as JSON");
  cmd->add_flag("--force", o.force, "Replace an existing --out file");
}

void register_encrypt(CLI::App& app, int& exit_code) {
  struct Options {
    std::string deal, cluster, requester_key, label, in;
    Output output;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("encrypt",
                                 "Encrypt a file to a group key under a label (TDH2 + XChaCha20-Poly1305).\n"
                                 "Any t share holders can decrypt it together; the label cannot be changed.\n"
                                 "With --cluster: protect it with a running cluster for the cluster's requester\n"
                                 "(vigil protect with a requester-only policy); --out then receives its key id.");
  auto* deal_opt =
      cmd->add_option("--deal", o->deal, "Deal file whose group key to encrypt to")->check(CLI::ExistingFile);
  auto* cluster_opt =
      cmd->add_option("--cluster", o->cluster, "Local cluster folder (cluster.json) whose key to encrypt to")
          ->check(CLI::ExistingDirectory);
  deal_opt->excludes(cluster_opt);
  cmd->add_option("--requester-key", o->requester_key,
                  "With --cluster: the Ed25519 secret key file of the requester who may recover it\n"
                  "(default: the local cluster's requester.key)")
      ->check(CLI::ExistingFile)
      ->needs(cluster_opt);
  cmd->add_option("--label", o->label, "Label bound into the ciphertext (with --deal; --cluster uses the policy's)");
  cmd->add_option("--in", o->in, "File to encrypt")->required()->check(CLI::ExistingFile);
  add_output_options(cmd, o->output, "ciphertext (binary protobuf with --out, JSON with --json)");
  cmd->callback([o, &exit_code] {
    if (o->output.out_path.empty() && !o->output.json) {
      exit_code = fail("encrypt", "nothing to write: pass --out FILE and/or --json", kExitUsage);
      return;
    }
    if (o->deal.empty() == o->cluster.empty()) {
      exit_code = fail("encrypt", "pass exactly one of --deal and --cluster", kExitUsage);
      return;
    }
    if (!o->cluster.empty()) {
      if (!o->label.empty() || o->output.json || o->output.out_path.empty()) {
        exit_code = fail("encrypt", "with --cluster pass --out FILE, and neither --label nor --json", kExitUsage);
        return;
      }
      exit_code = protect_with_cluster(o->cluster, o->requester_key, o->in, o->output.out_path, o->output.force);
      return;
    }
    if (o->label.empty()) {
      exit_code = fail("encrypt", "--label is required with --deal", kExitUsage);
      return;
    }
    auto target = target_from_deal(o->deal);
    if (!target) return void(exit_code = fail("encrypt", target.error(), kExitUsage));
    auto plaintext = read_file(o->in, proto::kMaxMessageBytes / 2);
    if (!plaintext) return void(exit_code = fail("encrypt", plaintext.error(), kExitUsage));
    exit_code = run_for_curve("encrypt", target->curve, [&](auto curve) -> int {
      using C = decltype(curve);
      auto group_key = Element<C>::decode(target->group_key);
      if (!group_key) return fail("encrypt", group_key.error());
      auto key = Tdh2PublicKey<C>::create(*group_key).value();
      auto encrypted = tdh2_encrypt<C>(system_rng(), key, as_bytes(o->label), as_bytes(*plaintext));
      if (!encrypted) return fail("encrypt", encrypted.error());
      const auto& ct = *encrypted;
      if (!o->output.out_path.empty()) {
        auto bytes = proto::serialize(proto::to_proto(ct));
        auto s =
            write_file(o->output.out_path, std::string(bytes.begin(), bytes.end()), FileMode::kPublic, o->output.force);
        if (!s) return fail("encrypt", s.error());
      }
      if (o->output.json) {
        std::cout << ciphertext_to_json(ct).dump(2) << "\n";
      } else {
        std::cout << "encrypted " << plaintext->size() << " bytes to the " << target->threshold << "-of-"
                  << target->parties << " " << C::kName << " key " << to_hex(target->group_key) << "\n"
                  << "  label   " << o->label << "\n  digest  " << to_hex(tdh2_ciphertext_digest(ct)) << "\n"
                  << "written to " << o->output.out_path << "\n";
      }
      return kExitOk;
    });
  });
}

void register_partial_decrypt(CLI::App& app, int& exit_code) {
  struct Options {
    std::string deal, ciphertext, key;
    ParticipantIndex index = 0;
    Output output;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("partial-decrypt",
                                 "Compute participant I's decryption share of a ciphertext, with a proof that\n"
                                 "it is correct. The ciphertext is checked first; an invalid one is refused.");
  cmd->add_option("--deal", o->deal, "Deal file holding the participant's share")->required()->check(CLI::ExistingFile);
  cmd->add_option("--index", o->index, "Participant index")->required();
  cmd->add_option("--ciphertext", o->ciphertext, "Ciphertext file (binary or JSON)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--key", o->key, "Secret key file that opens a sealed share")->check(CLI::ExistingFile);
  add_output_options(cmd, o->output, "decryption share as JSON");
  cmd->callback([o, &exit_code] {
    if (o->output.out_path.empty() && !o->output.json) {
      exit_code = fail("partial-decrypt", "nothing to write: pass --out FILE and/or --json", kExitUsage);
      return;
    }
    auto deal = load_deal(o->deal);
    if (!deal) return void(exit_code = fail("partial-decrypt", deal.error(), kExitUsage));
    auto ct = read_ciphertext(o->ciphertext);
    if (!ct) return void(exit_code = fail("partial-decrypt", ct.error()));
    exit_code = with_deal_and_ciphertext("partial-decrypt", *deal, *ct, [&](auto& d, auto& c) -> int {
      using C = typename std::decay_t<decltype(d)>::CurveType;
      auto secret = secret_share_from_deal<C>(d, o->index, o->key);
      if (!secret) return fail("partial-decrypt", secret.error(), kExitUsage);
      auto key = Tdh2PublicKey<C>::create(d.group_public_key()).value();
      auto share = tdh2_decryption_share<C>(system_rng(), key, c, *secret, d.shares[o->index - 1].public_share);
      if (!share) return fail("partial-decrypt", share.error());
      const std::string share_json = share_to_json<C>(*share, tdh2_ciphertext_digest(c)).dump(2) + "\n";
      if (!o->output.out_path.empty()) {
        if (auto s = write_file(o->output.out_path, share_json, FileMode::kPublic, o->output.force); !s) {
          return fail("partial-decrypt", s.error());
        }
      }
      if (o->output.json) {
        std::cout << share_json;
      } else {
        std::cout << "decryption share " << share->index << " written to " << o->output.out_path << "\n";
      }
      return kExitOk;
    });
  });
}

void register_combine(CLI::App& app, int& exit_code) {
  struct Options {
    std::string deal, ciphertext, out;
    std::vector<std::string> shares;
    bool force = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("combine",
                                 "Verify decryption shares, combine any t valid ones and decrypt.\n"
                                 "Names every share that is malformed or fails its proof.");
  cmd->add_option("--deal", o->deal, "Deal file (for the public shares and threshold)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--ciphertext", o->ciphertext, "Ciphertext file (binary or JSON)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--shares", o->shares, "Decryption share files from partial-decrypt")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--out", o->out, "Where to write the decrypted payload (mode 0600)")->required();
  cmd->add_flag("--force", o->force, "Replace an existing --out file");
  cmd->callback([o, &exit_code] {
    auto deal = load_deal(o->deal);
    if (!deal) return void(exit_code = fail("combine", deal.error(), kExitUsage));
    auto ct = read_ciphertext(o->ciphertext);
    if (!ct) return void(exit_code = fail("combine", ct.error()));
    exit_code = with_deal_and_ciphertext("combine", *deal, *ct, [&](auto& d, auto& c) -> int {
      using C = typename std::decay_t<decltype(d)>::CurveType;
      const auto digest = tdh2_ciphertext_digest(c);
      std::vector<DecryptionShare<C>> shares;
      for (const auto& path : o->shares) {
        auto share = read_share<C>(path, digest);
        if (!share) {
          std::cout << "  " << path << ": unusable: " << share.error().message << "\n";
          continue;
        }
        shares.push_back(std::move(share).value());
      }
      auto key = Tdh2PublicKey<C>::create(d.group_public_key()).value();
      auto result = tdh2_combine<C>(system_rng(), key, public_shares_of(d), d.threshold(), c, shares);
      if (!result) return fail("combine", result.error());
      for (auto bad : result->invalid_shares) std::cout << "  share " << bad << ": INVALID (proof does not verify)\n";
      const std::string plaintext(result->plaintext.span().begin(), result->plaintext.span().end());
      auto s = write_file(o->out, plaintext, FileMode::kSecret, o->force);
      if (!s) return fail("combine", s.error());
      std::cout << "decrypted " << plaintext.size() << " bytes: " << shares.size() - result->invalid_shares.size()
                << " of " << o->shares.size() << " shares valid, " << d.threshold() << " used; written to " << o->out
                << "\n";
      return kExitOk;
    });
  });
}

}  // namespace

void register_tdh2(CLI::App& app, int& exit_code) {
  register_encrypt(app, exit_code);
  register_partial_decrypt(app, exit_code);
  register_combine(app, exit_code);
}

}  // namespace vigil::cli
