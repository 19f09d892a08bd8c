#include "vigil/policy.h"

#include <algorithm>
#include <string>

#include "vigil/byte_writer.h"
#include "vigil/hash.h"

namespace vigil {
namespace {

constexpr std::string_view kTag = "vigil/v1/policy";

Error invalid(const std::string& what) { return make_error(ErrorCode::kInvalidInput, what); }

// The error of a condition's check, placed: "any_of[2].requester." + "m: ...".
Status at(const std::string& where, Status status) {
  if (status) return status;
  return make_error(status.error().code, where + status.error().message);
}

// Reads the primitives of byte_writer.h from untrusted bytes.
class Reader {
 public:
  explicit Reader(ByteSpan in) : in_(in) {}
  bool u32(std::uint32_t& v) { return integer(v, 4); }
  bool u64(std::uint64_t& v) { return integer(v, 8); }
  bool field(ByteSpan& out) {
    std::uint32_t n = 0;
    if (!u32(n) || n > in_.size() - pos_) return false;
    out = in_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  bool done() const { return pos_ == in_.size(); }

 private:
  template <class T>
  bool integer(T& v, std::size_t bytes) {
    if (in_.size() - pos_ < bytes) return false;
    v = 0;
    for (std::size_t i = 0; i < bytes; ++i) v = static_cast<T>((v << 8) | in_[pos_ + i]);
    pos_ += bytes;
    return true;
  }
  ByteSpan in_;
  std::size_t pos_ = 0;
};

Error malformed(const std::string& what) { return make_error(ErrorCode::kBadEncoding, "policy: " + what); }

// u32(5) u32(tee) u32(statuses) u32(pinned), then what `pinned` names in
// bit order: TDX bit 0 MRTD, bits 1-4 RTMR0-3 (each field(48 bytes)); SGX
// bit 0 field(MRENCLAVE), bit 1 field(MRSIGNER) u32(isv_prod_id)
// u32(min_isv_svn).
void encode_attested(ByteWriter& w, const Attested& a) {
  std::uint32_t pinned = 0;
  if (a.tee == AttestedTee::kTdx) {
    pinned = (a.mr_td ? 1U : 0U);
    for (std::size_t i = 0; i < 4; ++i) pinned |= a.rtmr[i] ? 1U << (i + 1) : 0U;
  } else {
    pinned = (a.mr_enclave ? 1U : 0U) | (a.signer ? 2U : 0U);
  }
  w.u32(static_cast<std::uint32_t>(ConditionKind::kAttested))
      .u32(static_cast<std::uint32_t>(a.tee))
      .u32(a.statuses)
      .u32(pinned);
  if (a.tee == AttestedTee::kTdx) {
    if (a.mr_td) w.field(*a.mr_td);
    for (const auto& r : a.rtmr) {
      if (r) w.field(*r);
    }
  } else {
    if (a.mr_enclave) w.field(*a.mr_enclave);
    if (a.signer) w.field(a.signer->mr_signer).u32(a.signer->isv_prod_id).u32(a.signer->min_isv_svn);
  }
}

template <std::size_t N>
bool read_measurement(Reader& r, std::array<std::uint8_t, N>& out) {
  ByteSpan b;
  if (!r.field(b) || b.size() != N) return false;
  std::copy(b.begin(), b.end(), out.begin());
  return true;
}

bool decode_attested(Reader& r, Attested& a) {
  std::uint32_t tee = 0, pinned = 0;
  if (!r.u32(tee) || !r.u32(a.statuses) || !r.u32(pinned)) return false;
  if (tee == static_cast<std::uint32_t>(AttestedTee::kTdx)) {
    a.tee = AttestedTee::kTdx;
    if (pinned > 0x1f) return false;
    if ((pinned & 1) && !read_measurement(r, a.mr_td.emplace())) return false;
    for (std::size_t i = 0; i < 4; ++i) {
      if ((pinned & (1U << (i + 1))) && !read_measurement(r, a.rtmr[i].emplace())) return false;
    }
    return true;
  }
  if (tee != static_cast<std::uint32_t>(AttestedTee::kSgx) || pinned > 3) return false;
  a.tee = AttestedTee::kSgx;
  if ((pinned & 1) && !read_measurement(r, a.mr_enclave.emplace())) return false;
  if (pinned & 2) {
    auto& signer = a.signer.emplace();
    std::uint32_t prod = 0, svn = 0;
    if (!read_measurement(r, signer.mr_signer) || !r.u32(prod) || !r.u32(svn) || prod > 0xffff || svn > 0xffff) {
      return false;
    }
    signer.isv_prod_id = static_cast<std::uint16_t>(prod);
    signer.min_isv_svn = static_cast<std::uint16_t>(svn);
  }
  return true;
}

}  // namespace

Status check_silence(std::uint64_t silence_ms) {
  if (silence_ms < kMinSilenceMs || silence_ms > kMaxSilenceMs) {
    return invalid("timeout: must be between 1s and 3660d");
  }
  return {};
}

Status check_requesters(const Requesters& r) {
  if (r.keys.empty() || r.keys.size() > kMaxRequesterKeys) {
    return invalid("keys: between 1 and " + std::to_string(kMaxRequesterKeys) + " keys");
  }
  for (std::size_t i = 1; i < r.keys.size(); ++i) {
    if (!(r.keys[i - 1] < r.keys[i])) {
      return invalid("keys[" + std::to_string(i) +
                     "]: " + (r.keys[i - 1] == r.keys[i] ? "listed twice" : "keys must be in ascending byte order"));
    }
  }
  if (r.m < 1 || r.m > r.keys.size()) {
    return invalid("m: must be between 1 and the number of keys (" + std::to_string(r.keys.size()) + ")");
  }
  return {};
}

Status check_max_releases(std::uint32_t max_releases) {
  if (max_releases < 1) return invalid("count: must be at least 1");
  return {};
}

Status check_not_before(std::uint64_t unix_ms) {
  if (unix_ms > kMaxNotBeforeMs) return invalid("time: after the year 9999");
  return {};
}

std::string_view attested_tee_name(AttestedTee tee) { return tee == AttestedTee::kSgx ? "sgx" : "tdx"; }

Status check_attested(const Attested& a) {
  constexpr std::uint32_t kAll = (1U << kAcceptableTcbStatuses.size()) - 1;
  if (a.statuses == 0 || (a.statuses & ~kAll) != 0) {
    return invalid(
        "statuses: one or more of UpToDate, SWHardeningNeeded, ConfigurationNeeded, "
        "ConfigurationAndSWHardeningNeeded, OutOfDate, OutOfDateConfigurationNeeded");
  }
  if (a.tee == AttestedTee::kTdx) {
    // Only MRTD is measured by the TDX module itself; the RTMRs are
    // extended by software that MRTD's firmware loads, so RTMRs without
    // MRTD could be replayed by any TD booting firmware of its own.
    if (!a.mr_td || a.mr_enclave || a.signer) return invalid("tdx: pin MRTD (and any RTMRs), and nothing of SGX");
  } else if (a.tee == AttestedTee::kSgx) {
    const bool tdx = a.mr_td || std::any_of(a.rtmr.begin(), a.rtmr.end(), [](const auto& r) { return r.has_value(); });
    if ((!a.mr_enclave && !a.signer) || tdx) return invalid("sgx: pin MRENCLAVE or MRSIGNER, and nothing of TDX");
  } else {
    return invalid("tee: sgx or tdx");
  }
  return {};
}

Status check_policy(const Policy& policy) {
  if (policy.any_of.empty() || policy.any_of.size() > kMaxPolicyGroups) {
    return invalid("any_of: between 1 and " + std::to_string(kMaxPolicyGroups) + " groups");
  }
  for (std::size_t i = 0; i < policy.any_of.size(); ++i) {
    const PolicyGroup& g = policy.any_of[i];
    const std::string where = "any_of[" + std::to_string(i) + "]";
    if (!g.requester && !g.attested) {
      return invalid(where + ": names no requester and no attested enclave, so anyone could ask for the secret");
    }
    if (g.silence_ms) VIGIL_RETURN_IF_ERROR(at(where + ".enclave_silent.", check_silence(*g.silence_ms)));
    if (g.requester) VIGIL_RETURN_IF_ERROR(at(where + ".requester.", check_requesters(*g.requester)));
    if (g.attested) VIGIL_RETURN_IF_ERROR(at(where + ".attested.", check_attested(*g.attested)));
    if (g.not_before_unix_ms)
      VIGIL_RETURN_IF_ERROR(at(where + ".not_before.", check_not_before(*g.not_before_unix_ms)));
    if (g.max_releases) VIGIL_RETURN_IF_ERROR(at(where + ".max_releases.", check_max_releases(*g.max_releases)));
  }
  return {};
}

Bytes encode_policy(const Policy& policy) {
  ByteWriter w;
  w.field(kTag).u32(kPolicyVersion).field(policy.enclave_key).u32(static_cast<std::uint32_t>(policy.any_of.size()));
  for (const PolicyGroup& g : policy.any_of) {
    const std::uint32_t count = (g.silence_ms ? 1 : 0) + (g.requester ? 1 : 0) + (g.not_before_unix_ms ? 1 : 0) +
                                (g.max_releases ? 1 : 0) + (g.attested ? 1 : 0);
    w.u32(count);
    if (g.silence_ms) w.u32(static_cast<std::uint32_t>(ConditionKind::kEnclaveSilent)).u64(*g.silence_ms);
    if (g.requester) {
      w.u32(static_cast<std::uint32_t>(ConditionKind::kRequester))
          .u32(g.requester->m)
          .u32(static_cast<std::uint32_t>(g.requester->keys.size()));
      for (const auto& k : g.requester->keys) w.field(k);
    }
    if (g.not_before_unix_ms) w.u32(static_cast<std::uint32_t>(ConditionKind::kNotBefore)).u64(*g.not_before_unix_ms);
    if (g.max_releases) w.u32(static_cast<std::uint32_t>(ConditionKind::kMaxReleases)).u32(*g.max_releases);
    if (g.attested) encode_attested(w, *g.attested);
  }
  return w.take();
}

Result<Policy> decode_policy(ByteSpan canonical) {
  if (canonical.size() > kMaxPolicyBytes) {
    return malformed("longer than " + std::to_string(kMaxPolicyBytes) + " bytes");
  }
  Reader r(canonical);
  ByteSpan tag, enclave;
  std::uint32_t version = 0, groups = 0;
  if (!r.field(tag) || !std::ranges::equal(tag, as_bytes(kTag))) return malformed("does not start with its tag");
  if (!r.u32(version) || version != kPolicyVersion) return malformed("unknown version");
  if (!r.field(enclave) || enclave.size() != 32) return malformed("enclave key must be 32 bytes");
  Policy p;
  std::copy(enclave.begin(), enclave.end(), p.enclave_key.begin());
  if (!r.u32(groups) || groups == 0 || groups > kMaxPolicyGroups) return malformed("bad number of groups");
  for (std::uint32_t i = 0; i < groups; ++i) {
    PolicyGroup g;
    std::uint32_t conditions = 0, previous = 0;
    if (!r.u32(conditions) || conditions == 0 || conditions > 5) return malformed("bad number of conditions");
    for (std::uint32_t c = 0; c < conditions; ++c) {
      std::uint32_t kind = 0;
      if (!r.u32(kind)) return malformed("truncated");
      if (kind <= previous) return malformed("conditions out of order or repeated");
      previous = kind;
      bool ok = true;
      switch (static_cast<ConditionKind>(kind)) {
        case ConditionKind::kEnclaveSilent: ok = r.u64(g.silence_ms.emplace()); break;
        case ConditionKind::kRequester: {
          auto& q = g.requester.emplace();
          std::uint32_t k = 0;
          ok = r.u32(q.m) && r.u32(k) && k <= kMaxRequesterKeys;
          for (std::uint32_t j = 0; ok && j < k; ++j) {
            ByteSpan key;
            ok = r.field(key) && key.size() == 32;
            if (ok) std::copy(key.begin(), key.end(), q.keys.emplace_back().begin());
          }
          break;
        }
        case ConditionKind::kNotBefore: ok = r.u64(g.not_before_unix_ms.emplace()); break;
        case ConditionKind::kMaxReleases: ok = r.u32(g.max_releases.emplace()); break;
        case ConditionKind::kAttested: ok = decode_attested(r, g.attested.emplace()); break;
        default: return malformed("unknown condition kind " + std::to_string(kind));
      }
      if (!ok) return malformed("truncated or oversized condition");
    }
    p.any_of.push_back(std::move(g));
  }
  if (!r.done()) return malformed("trailing bytes");
  VIGIL_RETURN_IF_ERROR(check_policy(p));
  return p;
}

std::array<std::uint8_t, 32> policy_digest(ByteSpan canonical) { return sha256(canonical); }

std::string_view refusal_code(Refusal refusal) {
  switch (refusal) {
    case Refusal::kNone: return "";
    case Refusal::kNotAuthorised: return "not_authorised";
    case Refusal::kNotBefore: return "not_before";
    case Refusal::kEnclaveAlive: return "enclave_alive";
    case Refusal::kReleased: return "released";
    case Refusal::kNotAttested: return "not_attested";
    case Refusal::kCollateralExpired: return "collateral_expired";
  }
  return "unknown";
}

namespace {}  // namespace

std::string attestation_mismatch(const Attested& a, const PolicyFacts& facts) {
  if (!facts.attestation) {
    return facts.attestation_error.empty() ? "the request carries no verified quote" : facts.attestation_error;
  }
  const PolicyFacts::Attestation& q = *facts.attestation;
  if (q.tee != a.tee) {
    return "the quote is " + std::string(attested_tee_name(q.tee)) + ", the policy wants " +
           std::string(attested_tee_name(a.tee));
  }
  // Refused whatever the policy says: a debugger can read a debug TD's or enclave's memory.
  if (q.debug) return "the quote is of a debug " + std::string(a.tee == AttestedTee::kTdx ? "TD" : "enclave");
  if (q.status >= kAcceptableTcbStatuses.size() || (a.statuses & (1U << q.status)) == 0) {
    return "TCB status " +
           std::string(q.status < kAcceptableTcbStatuses.size() ? kAcceptableTcbStatuses[q.status] : "unknown") +
           " is not one the policy accepts";
  }
  if (a.tee == AttestedTee::kTdx) {
    if (a.mr_td && *a.mr_td != q.mr_td) return "MRTD differs from the policy's";
    for (std::size_t i = 0; i < 4; ++i) {
      if (a.rtmr[i] && *a.rtmr[i] != q.rtmr[i]) return "RTMR" + std::to_string(i) + " differs from the policy's";
    }
    return "";
  }
  if (a.mr_enclave && *a.mr_enclave != q.mr_enclave) return "MRENCLAVE differs from the policy's";
  if (a.signer) {
    if (a.signer->mr_signer != q.mr_signer) return "MRSIGNER differs from the policy's";
    if (a.signer->isv_prod_id != q.isv_prod_id) return "ISVPRODID differs from the policy's";
    if (q.isv_svn < a.signer->min_isv_svn) {
      return "ISVSVN " + std::to_string(q.isv_svn) + " is below the policy's " + std::to_string(a.signer->min_isv_svn);
    }
  }
  return "";
}

namespace {

// How many of the group's conditions, in evaluation order, hold before the
// first that fails (5 when all do), with that failure. The requester and
// attested conditions both say who may receive: failing either is 0.
std::pair<int, PolicyDecision> evaluate_group(const PolicyGroup& g, const PolicyFacts& facts) {
  PolicyDecision d;
  if (g.requester) {
    std::uint32_t signed_by = 0;
    for (const auto& key : g.requester->keys) {
      if (std::find(facts.signers.begin(), facts.signers.end(), key) != facts.signers.end()) ++signed_by;
    }
    if (signed_by < g.requester->m) {
      d.refusal = Refusal::kNotAuthorised;
      d.why = std::to_string(signed_by) + " of " + std::to_string(g.requester->m) + " required signatures";
      return {0, std::move(d)};
    }
  }
  if (g.attested) {
    if (auto why = attestation_mismatch(*g.attested, facts); !why.empty()) {
      d.refusal = facts.collateral_expired ? Refusal::kCollateralExpired : Refusal::kNotAttested;
      d.why = std::move(why);
      return {g.requester ? 1 : 0, std::move(d)};
    }
  }
  if (g.not_before_unix_ms && facts.now_unix_ms < static_cast<std::int64_t>(*g.not_before_unix_ms)) {
    d.refusal = Refusal::kNotBefore;
    d.why = "time-locked for " +
            std::to_string((static_cast<std::int64_t>(*g.not_before_unix_ms) - facts.now_unix_ms) / 1000) + " s more";
    return {2, std::move(d)};
  }
  if (g.silence_ms) {
    const std::int64_t silent_for = facts.now_unix_ms - facts.last_heartbeat_unix_ms;
    if (silent_for < static_cast<std::int64_t>(*g.silence_ms)) {
      d.refusal = Refusal::kEnclaveAlive;
      d.why = "the enclave was heard from " + std::to_string(std::max<std::int64_t>(silent_for, 0)) +
              " ms ago; the policy waits " + std::to_string(*g.silence_ms) + " ms";
      return {3, std::move(d)};
    }
  }
  if (g.max_releases && facts.releases >= *g.max_releases) {
    d.refusal = Refusal::kReleased;
    d.why = "released " + std::to_string(facts.releases) + " time(s) already; the policy allows " +
            std::to_string(*g.max_releases);
    return {4, std::move(d)};
  }
  d.granted = true;
  return {5, std::move(d)};
}

}  // namespace

PolicyDecision evaluate_policy(const Policy& policy, const PolicyFacts& facts) {
  PolicyDecision best;
  int furthest = -1;
  for (std::size_t i = 0; i < policy.any_of.size(); ++i) {
    auto [reached, decision] = evaluate_group(policy.any_of[i], facts);
    decision.group = i;
    if (decision.granted) return decision;
    if (reached > furthest) {
      furthest = reached;
      best = std::move(decision);
    }
  }
  if (furthest < 0) {
    best.refusal = Refusal::kNotAuthorised;
    best.why = "the policy has no group";
  }
  return best;
}

}  // namespace vigil
