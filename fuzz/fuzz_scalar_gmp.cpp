// Differential: vigil's Montgomery scalar arithmetic modulo each group order
// against GMP. Inputs are reduced from arbitrary bytes (so values near 0 and
// q come up), then every operation is compared, as are the canonical-decoding
// verdict and wide reduction.
#include <cstdlib>
#include <vector>

#include "fuzz/fuzz_input.h"

namespace {

using vigil::fuzz::Mpz;

template <vigil::Curve C>
constexpr int kByteOrder = C::kScalarBigEndian ? 1 : -1;  // mpz_import's word order, one-byte words

template <vigil::Curve C>
const char* order_hex() {
  if constexpr (std::is_same_v<C, vigil::Ristretto255>) {
    return "1000000000000000000000000000000014def9dea2f79cd65812631a5cf5d3ed";
  } else {
    return "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
  }
}

template <vigil::Curve C>
void import_bytes(mpz_t out, vigil::ByteSpan bytes) {
  mpz_import(out, bytes.size(), kByteOrder<C>, 1, 0, 0, bytes.data());
}

template <vigil::Curve C>
bool equals(const vigil::Scalar<C>& s, const mpz_t expected) {
  Mpz v;
  const auto encoding = s.encode();
  import_bytes<C>(v.v, encoding);
  return mpz_cmp(v.v, expected) == 0;
}

template <vigil::Curve C>
void check(FuzzedDataProvider& in) {
  using S = vigil::Scalar<C>;
  Mpz q, a, b, r;
  mpz_set_str(q.v, order_hex<C>(), 16);

  const auto wide_a = in.ConsumeBytes<std::uint8_t>(in.ConsumeIntegralInRange<std::size_t>(0, 64));
  const auto wide_b = in.ConsumeBytes<std::uint8_t>(in.ConsumeIntegralInRange<std::size_t>(0, 64));
  const S sa = S::reduce_wide(wide_a);
  const S sb = S::reduce_wide(wide_b);
  import_bytes<C>(a.v, wide_a);
  import_bytes<C>(b.v, wide_b);
  mpz_mod(a.v, a.v, q.v);
  mpz_mod(b.v, b.v, q.v);
  if (!equals(sa, a.v) || !equals(sb, b.v)) std::abort();

  mpz_add(r.v, a.v, b.v);
  mpz_mod(r.v, r.v, q.v);
  if (!equals(sa + sb, r.v)) std::abort();
  mpz_sub(r.v, a.v, b.v);
  mpz_mod(r.v, r.v, q.v);
  if (!equals(sa - sb, r.v)) std::abort();
  mpz_mul(r.v, a.v, b.v);
  mpz_mod(r.v, r.v, q.v);
  if (!equals(sa * sb, r.v)) std::abort();
  mpz_neg(r.v, a.v);
  mpz_mod(r.v, r.v, q.v);
  if (!equals(-sa, r.v)) std::abort();
  const auto inverse = sa.invert_vartime();
  if (mpz_sgn(a.v) == 0) {
    if (inverse.ok()) std::abort();
  } else {
    mpz_invert(r.v, a.v, q.v);
    if (!inverse.ok() || !equals(*inverse, r.v)) std::abort();
  }
  if ((sa == sb) != (mpz_cmp(a.v, b.v) == 0)) std::abort();

  // Canonical decoding: exactly 32 bytes holding a value below q.
  const auto raw = in.ConsumeBytes<std::uint8_t>(in.ConsumeIntegralInRange<std::size_t>(0, 33));
  import_bytes<C>(r.v, raw);
  const bool canonical = raw.size() == S::kBytes && mpz_cmp(r.v, q.v) < 0;
  const auto decoded = S::decode(raw);
  if (decoded.ok() != canonical || (canonical && !equals(*decoded, r.v))) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  vigil::fuzz::on_either_curve(in, [&](auto curve) { check<decltype(curve)>(in); });
  return 0;
}
