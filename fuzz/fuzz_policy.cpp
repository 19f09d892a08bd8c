// Release policies from untrusted sources: canonical bytes (in every
// registration) and the JSON people write (docs/policies.md). The input is
// tried as both. A policy that decodes is valid and re-encodes to exactly
// its input; a JSON policy that parses is valid and survives the canonical
// encoding; either evaluates, for a spread of facts, to a decision that
// names one of its groups.
#include <cstdlib>
#include <string>

#include "vigil/client.h"
#include "vigil/policy.h"

namespace {

std::vector<vigil::PolicyFacts> facts_for(const vigil::Policy& policy) {
  std::vector<vigil::PolicyFacts> out(4);
  out[1].now_unix_ms = 1'700'000'000'000;
  out[1].last_heartbeat_unix_ms = 1'600'000'000'000;
  out[2].now_unix_ms = INT64_MAX;
  out[2].last_heartbeat_unix_ms = INT64_MIN;
  out[2].releases = UINT32_MAX;
  out[2].collateral_expired = true;
  out[3] = out[1];
  for (const auto& group : policy.any_of) {
    if (group.requester) {
      out[3].signers.insert(out[3].signers.end(), group.requester->keys.begin(), group.requester->keys.end());
    }
  }
  vigil::PolicyFacts::Attestation attestation;
  attestation.status = 1;
  out[3].attestation = attestation;
  return out;
}

void check_evaluation(const vigil::Policy& policy) {
  for (const auto& facts : facts_for(policy)) {
    const auto decision = vigil::evaluate_policy(policy, facts);
    if (decision.group >= policy.any_of.size()) std::abort();
    if (decision.granted != (decision.refusal == vigil::Refusal::kNone)) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const vigil::ByteSpan bytes(data, size);
  if (const auto policy = vigil::decode_policy(bytes); policy.ok()) {
    if (!vigil::check_policy(*policy).ok()) std::abort();
    const auto encoded = vigil::encode_policy(*policy);
    if (!std::equal(encoded.begin(), encoded.end(), bytes.begin(), bytes.end())) std::abort();
    check_evaluation(*policy);
  }
  const std::string text(bytes.begin(), bytes.end());
  if (const auto policy = vigil::client::parse_policy_json(text); policy.ok()) {
    if (!vigil::check_policy(*policy).ok()) std::abort();
    const auto canonical = vigil::encode_policy(*policy);
    const auto again = vigil::decode_policy(canonical);
    if (!again.ok() || vigil::encode_policy(*again) != canonical) std::abort();
    check_evaluation(*policy);
  }
  return 0;
}
