// Helpers that turn fuzzer bytes into group values, shared by the fuzz
// targets. Values are chosen so that edge cases (zero, one, minus one, the
// identity, repeated and opposite points) come up often.
#pragma once

#include <fuzzer/FuzzedDataProvider.h>
#include <gmp.h>

#include <vector>

#include "vigil/group.h"

namespace vigil::fuzz {

// An mpz_t that frees itself, for the differential targets.
struct Mpz {
  Mpz() { mpz_init(v); }
  ~Mpz() { mpz_clear(v); }
  Mpz(const Mpz&) = delete;
  Mpz& operator=(const Mpz&) = delete;
  mpz_t v;
};

// f(Curve{}) for the curve the input's next bit chooses.
template <class F>
void on_either_curve(FuzzedDataProvider& in, F&& f) {
  if (in.ConsumeBool()) {
    f(Secp256k1{});
  } else {
    f(Ristretto255{});
  }
}

template <Curve C>
Scalar<C> take_scalar(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange<int>(0, 5)) {
    case 0: return Scalar<C>::zero();
    case 1: return Scalar<C>::one();
    case 2: return -Scalar<C>::one();
    case 3: return Scalar<C>::from_u64(in.ConsumeIntegral<std::uint64_t>());
    case 4: return -Scalar<C>::from_u64(in.ConsumeIntegral<std::uint64_t>());
    default: return Scalar<C>::reduce_wide(in.ConsumeBytes<std::uint8_t>(64));
  }
}

// An element: decoded from raw bytes when they decode, otherwise a multiple
// of the generator; or the identity, the generator, or a relative of an
// element already taken (equal, opposite, double).
template <Curve C>
Element<C> take_element(FuzzedDataProvider& in, const std::vector<Element<C>>& earlier) {
  const int kind = in.ConsumeIntegralInRange<int>(0, 5);
  if (kind >= 3 && !earlier.empty()) {
    const Element<C>& e = earlier[in.ConsumeIntegralInRange<std::size_t>(0, earlier.size() - 1)];
    return kind == 3 ? e : kind == 4 ? -e : e + e;
  }
  if (kind == 0) return Element<C>::identity();
  if (kind == 1) return Element<C>::generator();
  const auto raw = in.ConsumeBytes<std::uint8_t>(Element<C>::kBytes);
  auto decoded = Element<C>::decode(raw);
  if (decoded.ok()) return *decoded;
  return Element<C>::base_mult(Scalar<C>::reduce_wide(raw));
}

}  // namespace vigil::fuzz
