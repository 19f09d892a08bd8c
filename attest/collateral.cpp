// Collateral: its JSON layout, and the checks done once when it is loaded
// (chains to the pinned root, CRL issuers, the signatures over the TCB info
// and QE identity as served).
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

#include "checked_collateral.h"

namespace vigil::dcap {
namespace {

using internal::X509Ptr;

Error mismatch(const std::string& why) {
  return make_error(ErrorCode::kVerificationFailed, "collateral_mismatch: " + why);
}
Error invalid(const std::string& why) {
  return make_error(ErrorCode::kVerificationFailed, "collateral_invalid: " + why);
}

// The validity window, narrowed by each part.
class Window {
 public:
  void add(std::int64_t from, std::int64_t until, const std::string& what) {
    if (from > state_.valid_from) {
      state_.valid_from = from;
      state_.valid_from_what = what + " is valid from " + internal::format_utc(from);
    }
    if (until < state_.valid_until) {
      state_.valid_until = until;
      state_.valid_until_what = what + " is valid until " + internal::format_utc(until);
    }
  }
  void add(X509* cert, const std::string& what) {
    add(internal::unix_seconds(X509_get0_notBefore(cert)), internal::unix_seconds(X509_get0_notAfter(cert)), what);
  }
  void add(X509_CRL* crl, const std::string& what) {
    const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl);
    add(internal::unix_seconds(X509_CRL_get0_lastUpdate(crl)),
        next != nullptr ? internal::unix_seconds(next) : std::numeric_limits<std::int64_t>::min(), what);
  }
  explicit Window(CheckedCollateral::State& state) : state_(state) {
    state_.valid_from = std::numeric_limits<std::int64_t>::min();
    state_.valid_until = std::numeric_limits<std::int64_t>::max();
  }

 private:
  CheckedCollateral::State& state_;
};

// A chain that verifies to the root (dates are checked per quote), whose
// leaf's signature over `signed_text` verifies; its certificates narrow the
// window.
Status check_signed(const CheckedCollateral::State& state, std::string_view chain_pem, std::string_view signed_text,
                    ByteSpan signature, const std::string& what, Window& window) {
  auto chain = internal::parse_pem_chain(chain_pem, what + "_issuer_chain");
  if (!chain) return invalid(chain.error().message);
  VIGIL_RETURN_IF_ERROR(internal::verify_chain(state.store.get(), *chain, std::nullopt, what + "_issuer_chain"));
  // Only Intel's TCB Signing certificate, issued by the root itself, signs
  // TCB info and QE identities: any other certificate under the root (a
  // PCK certificate whose key leaked, say) must not.
  X509* signer = (*chain)[0].get();
  const auto below_root =
      std::count_if(chain->begin(), chain->end(), [](const X509Ptr& c) { return !internal::self_signed(c.get()); });
  if (below_root != 1 || !internal::issued_by(signer, state.root.get()) || X509_check_ca(signer) != 0 ||
      internal::common_name(signer).find("SGX TCB Signing") == std::string::npos) {
    return invalid(what + "_issuer_chain: not the SGX TCB Signing certificate issued by the root");
  }
  for (const X509Ptr& cert : *chain) window.add(cert.get(), what + "_issuer_chain");
  if (!internal::ecdsa_p256_verify(X509_get0_pubkey(signer), as_bytes(signed_text), signature)) {
    return invalid(what + "_signature: does not verify over " + what);
  }
  return {};
}

}  // namespace

Result<Collateral> parse_collateral_json(std::string_view text) {
  if (text.size() > kMaxCollateralBytes) {
    return make_error(ErrorCode::kBadEncoding,
                      "collateral: more than " + std::to_string(kMaxCollateralBytes) + " bytes");
  }
  const nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object())
    return make_error(ErrorCode::kBadEncoding, "collateral: not a JSON object");
  const auto text_field = [&](const char* name) -> Result<std::string> {
    auto it = doc.find(name);
    if (it == doc.end() || !it->is_string()) {
      return make_error(ErrorCode::kBadEncoding, std::string("collateral: ") + name + ": missing or not a string");
    }
    return it->get<std::string>();
  };
  const auto hex_field = [&](const char* name) -> Result<Bytes> {
    VIGIL_ASSIGN_OR_RETURN(std::string hex, text_field(name));
    auto bytes = from_hex(hex);
    if (!bytes) return make_error(ErrorCode::kBadEncoding, std::string("collateral: ") + name + ": not hex");
    return bytes;
  };
  Collateral c;
  VIGIL_ASSIGN_OR_RETURN(c.pck_crl_issuer_chain, text_field("pck_crl_issuer_chain"));
  VIGIL_ASSIGN_OR_RETURN(c.root_ca_crl, hex_field("root_ca_crl"));
  VIGIL_ASSIGN_OR_RETURN(c.pck_crl, hex_field("pck_crl"));
  VIGIL_ASSIGN_OR_RETURN(c.tcb_info_issuer_chain, text_field("tcb_info_issuer_chain"));
  VIGIL_ASSIGN_OR_RETURN(c.tcb_info, text_field("tcb_info"));
  VIGIL_ASSIGN_OR_RETURN(c.tcb_info_signature, hex_field("tcb_info_signature"));
  VIGIL_ASSIGN_OR_RETURN(c.qe_identity_issuer_chain, text_field("qe_identity_issuer_chain"));
  VIGIL_ASSIGN_OR_RETURN(c.qe_identity, text_field("qe_identity"));
  VIGIL_ASSIGN_OR_RETURN(c.qe_identity_signature, hex_field("qe_identity_signature"));
  return c;
}

Result<CheckedCollateral> CheckedCollateral::check(const Collateral& c, ByteSpan root_der) {
  auto state = std::make_shared<State>();
  Window window(*state);
  VIGIL_ASSIGN_OR_RETURN(state->root, internal::parse_der_certificate(root_der, "root certificate"));
  if (X509_check_issued(state->root.get(), state->root.get()) != X509_V_OK ||
      X509_verify(state->root.get(), X509_get0_pubkey(state->root.get())) != 1) {
    return make_error(ErrorCode::kInvalidInput, "root certificate: not self-signed");
  }
  window.add(state->root.get(), "the root certificate");

  auto root_crl = internal::parse_der_crl(c.root_ca_crl, "root_ca_crl");
  auto pck_crl = internal::parse_der_crl(c.pck_crl, "pck_crl");
  if (!root_crl) return invalid(root_crl.error().message);
  if (!pck_crl) return invalid(pck_crl.error().message);
  // Complete CRLs only: a delta CRL (or one that points to others) taken as
  // complete would hide the revocations in its base.
  for (const auto& [crl, name] : {std::pair{root_crl->get(), "root_ca_crl"}, std::pair{pck_crl->get(), "pck_crl"}}) {
    for (int nid : {NID_delta_crl, NID_freshest_crl, NID_issuing_distribution_point}) {
      if (X509_CRL_get_ext_by_NID(crl, nid, -1) >= 0) {
        return invalid(std::string(name) + ": a delta or partial CRL; a complete one is needed");
      }
    }
  }
  if (X509_CRL_verify(root_crl->get(), X509_get0_pubkey(state->root.get())) != 1) {
    ERR_clear_error();
    return invalid("root_ca_crl: not signed by the root");
  }
  window.add(root_crl->get(), "root_ca_crl");
  window.add(pck_crl->get(), "pck_crl");
  state->crls.push_back(std::move(*root_crl));
  state->crls.push_back(std::move(*pck_crl));
  VIGIL_ASSIGN_OR_RETURN(state->store,
                         internal::make_store(state->root.get(), {state->crls[0].get(), state->crls[1].get()}));

  // The PCK CRL's issuer: a PCK CA under the root. Quotes' PCK chains are
  // checked against this CRL; a CRL of another CA would fail them all.
  auto crl_chain = internal::parse_pem_chain(c.pck_crl_issuer_chain, "pck_crl_issuer_chain");
  if (!crl_chain) return invalid(crl_chain.error().message);
  VIGIL_RETURN_IF_ERROR(internal::verify_chain(state->store.get(), *crl_chain, std::nullopt, "pck_crl_issuer_chain"));
  if (X509_CRL_verify(state->crls[1].get(), X509_get0_pubkey((*crl_chain)[0].get())) != 1) {
    ERR_clear_error();
    return invalid("pck_crl: not signed by the first certificate of pck_crl_issuer_chain");
  }
  for (const X509Ptr& cert : *crl_chain) window.add(cert.get(), "pck_crl_issuer_chain");

  VIGIL_RETURN_IF_ERROR(
      check_signed(*state, c.tcb_info_issuer_chain, c.tcb_info, c.tcb_info_signature, "tcb_info", window));
  VIGIL_RETURN_IF_ERROR(
      check_signed(*state, c.qe_identity_issuer_chain, c.qe_identity, c.qe_identity_signature, "qe_identity", window));
  auto tcb_info = internal::parse_tcb_info(c.tcb_info);
  if (!tcb_info) return invalid(tcb_info.error().message);
  auto qe_identity = internal::parse_qe_identity(c.qe_identity);
  if (!qe_identity) return invalid(qe_identity.error().message);
  state->tcb_info = std::move(*tcb_info);
  state->qe_identity = std::move(*qe_identity);
  if (state->tcb_info.tee != state->qe_identity.tee) {
    return mismatch("the TCB info is for " + std::string(tee_name(state->tcb_info.tee)) + ", the QE identity for " +
                    std::string(tee_name(state->qe_identity.tee)));
  }
  window.add(state->tcb_info.issue_date, state->tcb_info.next_update, "tcb_info");
  window.add(state->qe_identity.issue_date, state->qe_identity.next_update, "qe_identity");
  return CheckedCollateral(std::move(state));
}

Tee CheckedCollateral::tee() const { return state_->tcb_info.tee; }
std::array<std::uint8_t, 6> CheckedCollateral::fmspc() const { return state_->tcb_info.fmspc; }
std::int64_t CheckedCollateral::issued() const { return state_->tcb_info.issue_date; }
std::int64_t CheckedCollateral::valid_from() const { return state_->valid_from; }
std::int64_t CheckedCollateral::valid_until() const { return state_->valid_until; }

}  // namespace vigil::dcap
