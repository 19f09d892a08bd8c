// vigil deal: trusted-dealer share generation, and `vigil deal verify`.
#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli.h"
#include "cluster_entry.h"
#include "deal_file.h"
#include "files.h"

namespace vigil::cli {
namespace {

const CLI::Validator kWholeNumber(
    [](std::string& value) -> std::string {
      bool digits = !value.empty() && value.size() <= 9 &&
                    std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
      return digits ? std::string() : "'" + value + "' is not a whole number";
    },
    "");

struct DealOptions {
  std::string curve = "ristretto255";
  std::size_t parties = 0;
  std::size_t threshold = 0;
  std::string recipients_path;
  std::string out_path;
  bool json = false;
  bool force = false;
};

struct VerifyOptions {
  std::string deal_path;
  std::string key_path;
  ParticipantIndex index = 0;
};

// One X25519 public key (hex) per line, in participant order; blank lines
// and lines starting with '#' are ignored. `vigil keygen` writes such lines.
// The share keys of a cluster description (vigil describe-cluster), which
// must list nodes 1..n: the recipients in index order. Each is derived from
// the node's identity, the key its operator confirmed; a "share_key" that
// is not the identity's is refused, never sealed to.
Result<std::vector<X25519PublicKey>> recipients_of_description(const std::string& path, const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  auto bad = [&](const std::string& why) { return make_error(ErrorCode::kBadEncoding, path + ": " + why); };
  if (j.is_discarded() || !j.is_object() || !j.contains("nodes") || !j["nodes"].is_array()) {
    return bad("expected a cluster description ({\"nodes\": [...]})");
  }
  std::map<std::uint64_t, X25519PublicKey> by_index;
  for (const auto& n : j["nodes"]) {
    auto entry = parse_node_entry(n);
    if (!entry) return bad(entry.error().message);
    if (!by_index.emplace(entry->index, entry->share_key).second) {
      return bad("index " + std::to_string(entry->index) + " listed twice");
    }
  }
  std::vector<X25519PublicKey> keys;
  for (const auto& [index, pk] : by_index) {
    if (index != keys.size() + 1)
      return bad("nodes must be 1..n for a deal; index " + std::to_string(index) + " is out of line");
    keys.push_back(pk);
  }
  return keys;
}

Result<std::vector<X25519PublicKey>> read_recipients(const std::string& path) {
  VIGIL_ASSIGN_OR_RETURN(std::string text, read_file(path, 1u << 20));
  const auto start = text.find_first_not_of(" \t\r\n");
  if (start != std::string::npos && text[start] == '{') return recipients_of_description(path, text);
  std::vector<X25519PublicKey> keys;
  std::istringstream in(text);
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    VIGIL_ASSIGN_OR_RETURN(auto pk, parse_public_key_hex(line, path + ":" + std::to_string(number)));
    keys.push_back(pk);
  }
  return keys;
}

template <Curve C>
void print_summary(const DealFile<C>& file, const DealOptions& opt) {
  std::cout << "dealt a " << file.threshold() << "-of-" << file.parties() << " key on " << C::kName << "\n"
            << "  group public key  " << to_hex(file.group_public_key().encode()) << "\n"
            << "  commitments       " << file.threshold() << " (the first is the group public key)\n";
  if (!opt.recipients_path.empty()) {
    std::cout << "  shares            sealed to the keys in " << opt.recipients_path << "\n";
  } else {
    std::cout << "  shares            in the clear: keep the deal file secret\n";
  }
  std::cout << "  participant  public share\n";
  for (const auto& s : file.shares)
    std::cout << "  " << std::setw(11) << s.index << "  " << to_hex(s.public_share.encode()) << "\n";
}

template <Curve C>
int run_deal(const DealOptions& opt) {
  std::vector<X25519PublicKey> recipients;
  if (!opt.recipients_path.empty()) {
    auto r = read_recipients(opt.recipients_path);
    if (!r) return fail("deal", r.error(), kExitUsage);
    recipients = std::move(r).value();
    if (recipients.size() != opt.parties) {
      return fail("deal",
                  opt.recipients_path + " lists " + std::to_string(recipients.size()) + " keys; --n " +
                      std::to_string(opt.parties) + " needs one per participant",
                  kExitUsage);
    }
  }
  auto dealt = deal<C>(system_rng(), opt.parties, opt.threshold);
  if (!dealt) return fail("deal", dealt.error(), kExitUsage);
  auto file = make_deal_file<C>(system_rng(), *dealt, recipients);
  if (!file) return fail("deal", file.error());
  const std::string json_text = deal_file_to_json(*file).dump(2) + "\n";

  if (!opt.out_path.empty()) {
    auto mode = recipients.empty() ? FileMode::kSecret : FileMode::kPublic;
    if (auto s = write_file(opt.out_path, json_text, mode, opt.force); !s) return fail("deal", s.error());
  }
  if (opt.json) {
    std::cout << json_text;
  } else {
    print_summary(*file, opt);
    if (!opt.out_path.empty()) {
      std::cout << "written to " << opt.out_path << "\n";
    } else if (recipients.empty()) {
      std::cerr << "vigil deal: warning: the secret shares were not saved; pass --out FILE or --json\n";
    }
  }
  return kExitOk;
}

template <Curve C>
int run_verify(DealFile<C>& file, const VerifyOptions& opt) {
  std::cout << opt.deal_path << ": " << file.threshold() << "-of-" << file.parties() << " key on " << C::kName
            << ", group public key " << to_hex(file.group_public_key().encode()) << "\n";
  std::set<ParticipantIndex> bad;
  for (const auto& s : file.shares) {
    std::string status;
    if (auto r = file.commitment.verify_public_share(s.index, s.public_share); !r) {
      bad.insert(s.index);
      status = "BAD public share does not match the commitments";
    } else if (s.secret_share) {
      if (auto v = file.commitment.verify_share(s.index, *s.secret_share); !v) {
        bad.insert(s.index);
        status = "BAD secret share does not match the commitments";
      } else {
        status = "ok (public and secret share verified)";
      }
    } else {
      // A share without its secret carries its recipient (parse_deal_file checks).
      status = "ok (public share verified; secret share sealed to " + to_hex(*s.recipient).substr(0, 16) + "...)";
    }
    std::cout << "  share " << s.index << ": " << status << "\n";
  }

  if (!opt.key_path.empty()) {
    auto key = read_secret_key_file(opt.key_path);
    if (!key) return fail("deal verify", key.error(), kExitUsage);
    auto pk = x25519_public_key(key->span()).value();
    ParticipantIndex index = opt.index;
    if (index == 0) {
      for (const auto& s : file.shares) {
        if (s.recipient && *s.recipient == pk) index = s.index;
      }
      if (index == 0) return fail("deal verify", "no share in the deal is sealed to " + opt.key_path);
    }
    if (index > file.parties())
      return fail("deal verify", "--index " + std::to_string(index) + " is out of range", kExitUsage);
    const auto& s = file.shares[index - 1];
    if (!s.sealed_share) return fail("deal verify", "share " + std::to_string(index) + " is not sealed", kExitUsage);
    auto opened = open_share<C>(key->span(), *s.sealed_share, file.commitment, index);
    if (!opened) {
      bad.insert(index);
      std::cout << "  share " << index << ": BAD does not open with " << opt.key_path << " or does not verify\n";
    } else {
      std::cout << "  share " << index << ": opened with " << opt.key_path << " and verified\n";
    }
  }

  if (!bad.empty()) {
    std::string list;
    for (auto i : bad) list += (list.empty() ? "" : ", ") + std::to_string(i);
    return fail("deal verify", "verification failed for share(s) " + list);
  }
  std::cout << "all " << file.parties() << " shares verify against the commitments\n";
  return kExitOk;
}

}  // namespace

void register_deal(CLI::App& app, int& exit_code) {
  auto opt = std::make_shared<DealOptions>();
  auto* cmd = app.add_subcommand("deal",
                                 "Trusted-dealer share generation: create a group key and split it into n\n"
                                 "shares, any t of which recover it, with Feldman commitments that let\n"
                                 "every participant check its share. The dealer sees the key; use the\n"
                                 "cluster's DKG where no single party may.");
  cmd->add_option("--curve", opt->curve, "ristretto255 (default) or secp256k1")
      ->check(CLI::IsMember({"ristretto255", "secp256k1"}));
  auto* n_opt =
      cmd->add_option("--n", opt->parties, "Number of participants (1.." + std::to_string(kMaxParticipants) + ")")
          ->check(kWholeNumber);
  auto* t_opt =
      cmd->add_option("--t", opt->threshold, "Threshold: shares needed to recover the key (1..n)")->check(kWholeNumber);
  cmd->add_option("--recipients", opt->recipients_path,
                  "The cluster description (vigil describe-cluster: each node's share key), or a file\n"
                  "with one X25519 public key (hex) per line in participant order; each share is\n"
                  "sealed to its participant's key")
      ->check(CLI::ExistingFile);
  cmd->add_option("--out", opt->out_path, "Write the deal as JSON to this file (mode 0600 unless sealed)");
  cmd->add_flag("--json", opt->json, "Print the deal as one JSON object instead of a summary");
  cmd->add_flag("--force", opt->force, "Replace an existing --out file");

  auto vopt = std::make_shared<VerifyOptions>();
  auto* verify = cmd->add_subcommand("verify",
                                     "Check a deal file: every public share (and every clear secret share)\n"
                                     "against the commitments; with --key, open and check the share sealed\n"
                                     "to that key. Exits 1 naming the shares that fail.");
  verify->add_option("--deal", vopt->deal_path, "The deal file")->required()->check(CLI::ExistingFile);
  verify->add_option("--key", vopt->key_path, "A secret key file from `vigil keygen`")->check(CLI::ExistingFile);
  verify->add_option("--index", vopt->index, "The participant whose sealed share --key opens (default: found by key)");
  cmd->require_subcommand(0, 1);

  verify->callback([vopt, &exit_code] {
    auto text = read_file(vopt->deal_path);
    if (!text) {
      exit_code = fail("deal verify", text.error(), kExitUsage);
      return;
    }
    auto file = parse_deal_file(*text);
    if (!file) {
      exit_code = fail("deal verify", file.error());
      return;
    }
    exit_code = std::visit([&](auto& f) { return run_verify(f, *vopt); }, *file);
  });

  cmd->callback([verify, opt, n_opt, t_opt, &exit_code] {
    if (verify->parsed()) return;
    if (n_opt->count() == 0 || t_opt->count() == 0) {
      exit_code = fail("deal", "--n and --t are required (see vigil deal --help)", kExitUsage);
      return;
    }
    if (auto s = check_threshold(opt->parties, opt->threshold); !s) {
      exit_code = fail("deal", s.error(), kExitUsage);
      return;
    }
    exit_code = run_for_curve("deal", parse_curve_name(opt->curve).value(),
                              [&](auto curve) { return run_deal<decltype(curve)>(*opt); });
  });
}

}  // namespace vigil::cli
