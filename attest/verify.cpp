// Quote verification against checked collateral, in the order of Intel's
// Quote Verification Library: the PCK chain, the QE report and its binding
// of the attestation key, the quote signature, the QE identity, then the
// TCB level of the platform and, for TDX, of the TDX module.
#include <algorithm>
#include <cstdio>

#include "checked_collateral.h"
#include "vigil/hash.h"
#include "vigil/policy.h"

namespace vigil::dcap {
namespace {

using internal::IsvLevel;
using internal::TcbLevel;

Error quote_invalid(const std::string& why) {
  return make_error(ErrorCode::kVerificationFailed, "quote_invalid: " + why);
}

// The quote's PCK chain, parsed, in Intel's shape, with the leaf's SGX
// extension and key; its signatures and dates are verified by verify_quote.
struct PckChain {
  std::vector<internal::X509Ptr> chain;
  internal::PckExtension extension;
  internal::EvpPkeyPtr key;
};

Result<PckChain> parse_pck_chain(const CheckedCollateral::State& state, const Quote& quote) {
  auto chain = internal::parse_pem_chain(quote.pck_chain_pem, "PCK certificate chain");
  if (!chain) return quote_invalid(chain.error().message);
  // Intel's shape: the PCK certificate, issued by a PCK Platform or
  // Processor CA that the root issued, the CA whose CRL the collateral has.
  X509* pck = (*chain)[0].get();
  const auto below_root = std::count_if(chain->begin(), chain->end(),
                                        [](const internal::X509Ptr& c) { return !internal::self_signed(c.get()); });
  X509* ca = chain->size() > 1 ? (*chain)[1].get() : nullptr;
  const std::string ca_name = ca != nullptr ? internal::common_name(ca) : "";
  if (ca != nullptr && !internal::issued_by(ca, state.root.get())) {
    // Under another root than this collateral's: another one may be the
    // quote's (and if none is, nothing vouches for the quote).
    return make_error(ErrorCode::kVerificationFailed,
                      "collateral_mismatch: the quote's PCK chain is not under the root of this collateral");
  }
  if (below_root != 2 || ca == nullptr || !internal::issued_by(pck, ca) ||
      internal::common_name(pck).find("SGX PCK Certificate") == std::string::npos ||
      (ca_name.find("SGX PCK Platform CA") == std::string::npos &&
       ca_name.find("SGX PCK Processor CA") == std::string::npos)) {
    return quote_invalid("PCK certificate chain: not a PCK certificate under a PCK CA under the root");
  }
  if (X509_NAME_cmp(X509_CRL_get_issuer(state.crls[1].get()), X509_get_issuer_name(pck)) != 0) {
    return make_error(ErrorCode::kVerificationFailed,
                      "collateral_mismatch: the PCK CRL is not that of " + ca_name + ", the PCK certificate's issuer");
  }
  auto extension = internal::pck_extension(pck);
  if (!extension) return quote_invalid(extension.error().message);
  EVP_PKEY* key = X509_get0_pubkey(pck);
  if (key == nullptr || EVP_PKEY_up_ref(key) != 1) return quote_invalid("PCK certificate: no public key");
  return PckChain{std::move(*chain), *extension, internal::EvpPkeyPtr(key)};
}

// The QE report: signed by the PCK key, and its report data binds the
// attestation key (and the QE authentication data) as
// SHA-256(attestation key || auth data) || 32 zero bytes.
Status check_qe_report(const Quote& quote, EVP_PKEY* pck_key) {
  if (!internal::ecdsa_p256_verify(pck_key, quote.qe_report_bytes, quote.qe_report_signature)) {
    return quote_invalid("QE report signature: does not verify with the PCK certificate's key");
  }
  Bytes bound(quote.attestation_key.begin(), quote.attestation_key.end());
  bound.insert(bound.end(), quote.qe_auth_data.begin(), quote.qe_auth_data.end());
  const auto digest = sha256(bound);
  std::array<std::uint8_t, 64> expected{};
  std::copy(digest.begin(), digest.end(), expected.begin());
  if (quote.qe_report.report_data != expected) {
    return quote_invalid("QE report data: does not bind the attestation key and QE authentication data");
  }
  return {};
}

// The quoting enclave is the one Intel's QE identity names, at a level.
Result<const IsvLevel*> check_qe_identity(const internal::QeIdentity& identity, const EnclaveReport& qe) {
  if (qe.mr_signer != identity.mr_signer) return quote_invalid("QE identity: MRSIGNER differs");
  if (qe.isv_prod_id != identity.isv_prod_id) return quote_invalid("QE identity: ISVPRODID differs");
  if ((qe.misc_select & identity.misc_select_mask) != identity.misc_select) {
    return quote_invalid("QE identity: MISCSELECT differs");
  }
  for (std::size_t i = 0; i < 16; ++i) {
    if ((qe.attributes[i] & identity.attributes_mask[i]) != identity.attributes[i]) {
      return quote_invalid("QE identity: ATTRIBUTES differ");
    }
  }
  if (qe.debug()) return quote_invalid("QE identity: the quoting enclave is a debug enclave");
  const IsvLevel* level = internal::isv_level(identity.levels, qe.isv_svn);
  if (level == nullptr) {
    return quote_invalid("QE identity: ISVSVN " + std::to_string(qe.isv_svn) + " is below every level");
  }
  return level;
}

// Whether the platform reaches `level`. For TDX the TEE TCB SVNs count
// too, except, when the module has an identity of its own (major version
// above 0), its SVN and version (indices 0 and 1): those are judged by the
// module's identity.
bool reaches(const TcbLevel& level, const internal::PckExtension& pck, const TdReport* td) {
  if (pck.pce_svn < level.pce_svn) return false;
  for (std::size_t i = 0; i < 16; ++i) {
    if (pck.component_svn[i] < level.sgx_svn[i]) return false;
  }
  if (td != nullptr) {
    for (std::size_t i = td->tee_tcb_svn[1] > 0 ? 2 : 0; i < 16; ++i) {
      if (td->tee_tcb_svn[i] < level.tdx_svn[i]) return false;
    }
  }
  return true;
}

// The TDX module: signed by the signer its identity names, with its
// attributes, at a level; none to judge for a module of major version 0.
Result<const IsvLevel*> check_tdx_module(const internal::TcbInfo& info, const TdReport& td) {
  const internal::TdxModuleIdentity* identity = &*info.tdx_module;
  const std::uint8_t major = td.tee_tcb_svn[1];
  if (major > 0) {
    char id[8];
    std::snprintf(id, sizeof id, "TDX_%02X", major);
    auto it = std::find_if(info.tdx_module_identities.begin(), info.tdx_module_identities.end(),
                           [&](const internal::TdxModuleIdentity& m) {
                             return m.id.size() == 6 && std::equal(m.id.begin(), m.id.end(), id, [](char a, char b) {
                                      return std::toupper(static_cast<unsigned char>(a)) == b;
                                    });
                           });
    if (it == info.tdx_module_identities.end()) {
      return quote_invalid("TDX module: the TCB info has no identity " + std::string(id));
    }
    identity = &*it;
  }
  if (td.mr_signer_seam != identity->mr_signer) return quote_invalid("TDX module: MRSIGNERSEAM differs");
  if ((td.seam_attributes & identity->attributes_mask) != (identity->attributes & identity->attributes_mask) ||
      (td.seam_attributes & ~identity->attributes_mask) != 0) {
    return quote_invalid("TDX module: SEAMATTRIBUTES differ");
  }
  if (major == 0) return nullptr;
  const IsvLevel* level = internal::isv_level(identity->levels, td.tee_tcb_svn[0]);
  if (level == nullptr) {
    return quote_invalid("TDX module: SVN " + std::to_string(td.tee_tcb_svn[0]) + " is below every level");
  }
  return level;
}

// Intel's convergence of the platform's status with the QE's or the TDX
// module's: anything but UpToDate there makes the platform out of date.
TcbStatus converge(TcbStatus platform, TcbStatus other) {
  if (other == TcbStatus::kRevoked) return TcbStatus::kRevoked;
  if (other == TcbStatus::kUpToDate) return platform;
  switch (platform) {
    case TcbStatus::kUpToDate:
    case TcbStatus::kSwHardeningNeeded: return TcbStatus::kOutOfDate;
    case TcbStatus::kConfigurationNeeded:
    case TcbStatus::kConfigurationAndSwHardeningNeeded: return TcbStatus::kOutOfDateConfigurationNeeded;
    default: return platform;
  }
}

}  // namespace

Result<Verdict> verify_quote(const Quote& quote, const CheckedCollateral& collateral, std::int64_t unix_s) {
  const CheckedCollateral::State& state = collateral.state();
  // First whether the collateral is for this quote's TEE and platform at
  // all (a node holding several tries each), then whether it is current.
  if (quote.tee != collateral.tee()) {
    return make_error(ErrorCode::kVerificationFailed, "collateral_mismatch: the quote is " +
                                                          std::string(tee_name(quote.tee)) + ", the collateral " +
                                                          std::string(tee_name(collateral.tee())));
  }
  VIGIL_ASSIGN_OR_RETURN(PckChain pck_chain, parse_pck_chain(state, quote));
  const internal::PckExtension& pck = pck_chain.extension;
  const internal::TcbInfo& info = state.tcb_info;
  if (pck.fmspc != info.fmspc) {
    return make_error(ErrorCode::kVerificationFailed, "collateral_mismatch: the collateral is for FMSPC " +
                                                          to_hex(info.fmspc) + ", the quote's platform is " +
                                                          to_hex(pck.fmspc));
  }
  if (pck.pce_id != info.pce_id) {
    return make_error(ErrorCode::kVerificationFailed, "collateral_mismatch: the collateral is for PCE-ID " +
                                                          to_hex(info.pce_id) + ", the quote's is " +
                                                          to_hex(pck.pce_id));
  }
  if (unix_s < state.valid_from) {
    return make_error(ErrorCode::kVerificationFailed,
                      "collateral_not_yet_valid: " + state.valid_from_what + ", after " + internal::format_utc(unix_s));
  }
  if (unix_s >= state.valid_until) {
    return make_error(ErrorCode::kVerificationFailed, "collateral_expired: " + state.valid_until_what + ", before " +
                                                          internal::format_utc(unix_s) +
                                                          "; fetch fresh collateral (docs/attestation.md)");
  }
  if (auto ok = internal::verify_chain(state.store.get(), pck_chain.chain, unix_s, "PCK certificate chain"); !ok) {
    return quote_invalid(ok.error().message);
  }
  internal::EvpPkeyPtr& pck_key = pck_chain.key;
  VIGIL_RETURN_IF_ERROR(check_qe_report(quote, pck_key.get()));
  VIGIL_ASSIGN_OR_RETURN(internal::EvpPkeyPtr attestation_key, internal::p256_key(quote.attestation_key));
  if (!internal::ecdsa_p256_verify(attestation_key.get(), quote.signed_bytes, quote.signature)) {
    return quote_invalid("signature: does not verify with the attestation key");
  }
  VIGIL_ASSIGN_OR_RETURN(const IsvLevel* qe_level, check_qe_identity(state.qe_identity, quote.qe_report));

  const TdReport* td = std::get_if<TdReport>(&quote.report);
  if ((td != nullptr) != (quote.tee == Tee::kTdx)) return quote_invalid("the report body is not of the quote's TEE");
  const IsvLevel* module_level = nullptr;
  if (td != nullptr) {
    VIGIL_ASSIGN_OR_RETURN(module_level, check_tdx_module(info, *td));
  }
  const auto platform = std::find_if(info.levels.begin(), info.levels.end(),
                                     [&](const TcbLevel& level) { return reaches(level, pck, td); });
  if (platform == info.levels.end()) return quote_invalid("TCB: the platform is below every level of the TCB info");

  Verdict verdict;
  verdict.tee = quote.tee;
  verdict.fmspc = pck.fmspc;
  verdict.status = converge(platform->status, qe_level->status);
  verdict.advisories = platform->advisories;
  verdict.advisories.insert(verdict.advisories.end(), qe_level->advisories.begin(), qe_level->advisories.end());
  if (module_level != nullptr) {
    verdict.status = converge(verdict.status, module_level->status);
    verdict.advisories.insert(verdict.advisories.end(), module_level->advisories.begin(),
                              module_level->advisories.end());
  }
  if (verdict.status == TcbStatus::kRevoked) return quote_invalid("TCB: the platform's TCB level is revoked");
  std::sort(verdict.advisories.begin(), verdict.advisories.end());
  verdict.advisories.erase(std::unique(verdict.advisories.begin(), verdict.advisories.end()), verdict.advisories.end());
  return verdict;
}

// The names are the policy layer's list of acceptable statuses (numbered
// as TcbStatus), and Revoked, which no policy can accept.
static_assert(static_cast<std::size_t>(TcbStatus::kRevoked) == kAcceptableTcbStatuses.size());

std::string_view tcb_status_name(TcbStatus status) {
  const auto i = static_cast<std::size_t>(status);
  return i < kAcceptableTcbStatuses.size() ? kAcceptableTcbStatuses[i] : "Revoked";
}

Result<TcbStatus> parse_tcb_status(std::string_view name) {
  for (std::size_t i = 0; i <= kAcceptableTcbStatuses.size(); ++i) {
    if (tcb_status_name(static_cast<TcbStatus>(i)) == name) return static_cast<TcbStatus>(i);
  }
  return make_error(ErrorCode::kBadEncoding, "\"" + std::string(name) + "\" is not an Intel TCB status");
}

}  // namespace vigil::dcap
