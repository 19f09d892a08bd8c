// vigil attest verify: one DCAP quote checked offline against collateral
// and the pinned Intel SGX Root CA (vigil/dcap.h), printing what a policy's
// `attested` condition looks at.
#include <chrono>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "files.h"
#include "vigil/dcap.h"

namespace vigil::cli {
namespace {

using nlohmann::ordered_json;

// A 64-bit field as 16 hex digits, most significant first.
std::string hex64(std::uint64_t v) {
  std::array<std::uint8_t, 8> b{};
  for (std::size_t i = 0; i < 8; ++i) b[i] = static_cast<std::uint8_t>(v >> (56 - 8 * i));
  return to_hex(b);
}

ordered_json describe(const dcap::Quote& quote, const dcap::Verdict& verdict,
                      const dcap::CheckedCollateral& collateral) {
  ordered_json out = {
      {"verified", true},
      {"tee", std::string(dcap::tee_name(verdict.tee))},
      {"quote_version", quote.version},
      {"status", std::string(dcap::tcb_status_name(verdict.status))},
      {"advisories", verdict.advisories},
      {"fmspc", to_hex(verdict.fmspc)},
      {"debug", quote.debug()},
      {"report_data", to_hex(quote.report_data())},
      {"collateral_valid_until", collateral.valid_until()},
  };
  if (const auto* td = std::get_if<dcap::TdReport>(&quote.report)) {
    out["mrtd"] = to_hex(td->mr_td);
    for (std::size_t i = 0; i < 4; ++i) out["rtmr" + std::to_string(i)] = to_hex(td->rtmr[i]);
    out["mr_config_id"] = to_hex(td->mr_config_id);
    out["mr_owner"] = to_hex(td->mr_owner);
    out["mr_owner_config"] = to_hex(td->mr_owner_config);
    out["mr_seam"] = to_hex(td->mr_seam);
    out["tee_tcb_svn"] = to_hex(td->tee_tcb_svn);
    out["td_attributes"] = hex64(td->td_attributes);
    out["xfam"] = hex64(td->xfam);
  } else {
    const auto& sgx = std::get<dcap::EnclaveReport>(quote.report);
    out["mrenclave"] = to_hex(sgx.mr_enclave);
    out["mrsigner"] = to_hex(sgx.mr_signer);
    out["isv_prod_id"] = sgx.isv_prod_id;
    out["isv_svn"] = sgx.isv_svn;
    out["attributes"] = to_hex(sgx.attributes);
  }
  return out;
}

int run_verify(const std::string& quote_file, const std::string& collateral_file, std::optional<std::int64_t> at,
               bool as_json) {
  const auto refuse = [&](const std::string& reason) {
    if (as_json) std::cout << ordered_json{{"verified", false}, {"reason", reason}}.dump(2) << "\n";
    return fail("attest verify", reason);
  };
  auto bytes = read_quote_file(quote_file);
  if (!bytes) return fail("attest verify", bytes.error(), kExitUsage);
  auto collateral_text = read_file(collateral_file, dcap::kMaxCollateralBytes);
  if (!collateral_text) return fail("attest verify", collateral_text.error(), kExitUsage);
  auto collateral = dcap::parse_collateral_json(*collateral_text);
  if (!collateral) return refuse(collateral_file + ": " + collateral.error().message);
  auto quote = dcap::parse_quote(*bytes);
  if (!quote) return refuse(quote.error().message);
  auto checked = dcap::CheckedCollateral::check(*collateral);
  if (!checked) return refuse(checked.error().message);
  const std::int64_t when =
      at ? *at
         : std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
               .count();
  auto verdict = dcap::verify_quote(*quote, *checked, when);
  if (!verdict) return refuse(verdict.error().message);
  const ordered_json out = describe(*quote, *verdict, *checked);
  if (as_json) {
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  for (const auto& [key, value] : out.items()) {
    if (key == "verified") continue;
    std::cout << key << ": " << (value.is_string() ? value.get<std::string>() : value.dump()) << "\n";
  }
  return kExitOk;
}

}  // namespace

void register_attest(CLI::App& app, int& exit_code) {
  auto* attest = app.add_subcommand("attest", "Intel SGX and TDX remote attestation (DCAP), offline.");
  attest->require_subcommand(1);
  struct Options {
    std::string quote, collateral;
    std::optional<std::int64_t> at;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  auto* verify = attest->add_subcommand(
      "verify",
      "Verify a DCAP quote (SGX v3, TDX v4/v5) against collateral, offline: the PCK chain to the\n"
      "Intel SGX Root CA compiled into vigil, the CRLs, the QE report and the quote signature, the\n"
      "signed TCB info and QE identity, and the platform's TCB level. Prints the TEE, the TCB\n"
      "status and advisories, the measurements and the report data. Exit 0 when the quote\n"
      "verifies (whatever its status: which statuses to accept is a policy's choice), 1 with the\n"
      "reason when it does not. Collateral: docs/attestation.md says how to fetch it.");
  verify->add_option("--quote", o->quote, "The quote: raw bytes, or hex")->required()->check(CLI::ExistingFile);
  verify->add_option("--collateral", o->collateral, "Collateral JSON (docs/attestation.md)")
      ->required()
      ->check(CLI::ExistingFile);
  verify->add_option("--at", o->at, "Verify as of this Unix time in seconds (default: now)");
  verify->add_flag("--json", o->json, "Print JSON");
  verify->callback([o, &exit_code] { exit_code = run_verify(o->quote, o->collateral, o->at, o->json); });
}

}  // namespace vigil::cli
