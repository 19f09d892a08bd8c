// The node's side of attested recovery: the collateral it verifies quotes
// with (every *.json file in its data folder's collateral/ directory,
// checked against the pinned Intel SGX Root CA when loaded, and loaded
// again as operators refresh it), and a quote's verification turned into
// what the policy evaluation looks at (PolicyFacts::Attestation).
#pragma once

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "vigil/dcap.h"
#include "vigil/policy.h"

namespace vigil::node {

class AttestationVerifier {
 public:
  // Trusts the Intel SGX Root CA, and `test_root` (DER) beside it when
  // given: vigild-test only (node/config.h, attestation.test_root_ca).
  explicit AttestationVerifier(std::filesystem::path dir, std::optional<Bytes> test_root = std::nullopt);

  // Loads every collateral file anew; one that does not parse or check is
  // left out and named. What was loaded replaces what was held only whole.
  struct FileOutcome {
    std::string file;
    std::string error;    // empty when loaded
    std::string summary;  // when loaded: "tdx, FMSPC b0c06f000000, valid until 2025-07-19T10:00:35Z"
  };
  std::vector<FileOutcome> reload();

  struct Outcome {
    std::optional<PolicyFacts::Attestation> attestation;
    std::string error;  // why not, for the refusal
    bool collateral_expired = false;
  };
  // Verifies `quote` at `unix_s` against the collateral for its TEE and
  // platform, and that its report data is `expected` (compared in constant
  // time over all 64 bytes).
  Outcome verify(ByteSpan quote, std::int64_t unix_s, const dcap::ReportData& expected) const;

 private:
  const std::filesystem::path dir_;
  std::vector<Bytes> roots_;
  mutable std::mutex mutex_;
  std::vector<dcap::CheckedCollateral> collateral_;
};

}  // namespace vigil::node
