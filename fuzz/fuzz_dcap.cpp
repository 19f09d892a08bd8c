// DCAP attestation inputs: quotes (from requesters), collateral (from the
// operator's cache or Intel's PCS), and the parts inside them: TCB info and
// QE identity JSON, PEM chains, DER certificates with Intel's PCK extension,
// CRLs and Intel's dates. A quote that parses is also run through the full
// verification against the shared SGX collateral, inside its validity window.
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>

#include "tcb_info.h"
#include "vigil/dcap.h"
#include "x509.h"

namespace {

using vigil::ByteSpan;

const std::optional<vigil::dcap::CheckedCollateral>& shared_collateral() {
  static const auto collateral = []() -> std::optional<vigil::dcap::CheckedCollateral> {
    std::ifstream file(VIGIL_SHARED_VECTORS "/dcap/sgx_quote_collateral.json");
    const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    auto parsed = vigil::dcap::parse_collateral_json(text);
    if (!parsed.ok()) return std::nullopt;
    auto checked = vigil::dcap::CheckedCollateral::check(*parsed);
    if (!checked.ok()) return std::nullopt;
    return std::move(*checked);
  }();
  return collateral;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace dcap = vigil::dcap;
  const ByteSpan bytes(data, size);
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  if (const auto quote = dcap::parse_quote(bytes); quote.ok()) {
    (void)quote->report_data();
    (void)quote->debug();
    if (const auto& collateral = shared_collateral()) {
      (void)dcap::verify_quote(*quote, *collateral, collateral->valid_from());
    }
  }
  if (const auto collateral = dcap::parse_collateral_json(text); collateral.ok()) {
    (void)dcap::CheckedCollateral::check(*collateral);
  }
  (void)dcap::internal::parse_tcb_info(text);
  (void)dcap::internal::parse_qe_identity(text);
  (void)dcap::internal::parse_utc(text);
  (void)dcap::internal::parse_pem_chain(text, "fuzzed chain");
  (void)dcap::internal::parse_der_crl(bytes, "fuzzed CRL");
  if (const auto cert = dcap::internal::parse_der_certificate(bytes, "fuzzed certificate"); cert.ok()) {
    (void)dcap::internal::pck_extension(cert->get());
  }
  return 0;
}
