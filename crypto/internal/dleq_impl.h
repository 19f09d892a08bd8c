// The definitions of vigil/dleq.h's templates for any curve: dleq.cpp instantiates them
// for vigil's curves, the exhaustive tests (tests/crypto/tiny_group.h) for a
// group of order 13.
#pragma once

#include "vigil/byte_writer.h"
#include "vigil/bytes.h"
#include "vigil/dleq.h"
#include "vigil/hash_to_curve.h"

namespace vigil {
namespace {

template <Curve C>
Scalar<C> challenge(ByteSpan context, const DleqStatement<C>& s, const Element<C>& a1, const Element<C>& a2) {
  ByteWriter w;
  w.field(C::kName).field(context);
  for (const Element<C>* e : {&s.g1, &s.h1, &s.g2, &s.h2, &a1, &a2}) w.field(e->encode());
  return hash_to_scalar<C>(w.bytes(), "vigil/v1/dleq/challenge");
}

// A uniformly random 128-bit scalar: enough for batch verification, and half
// the additions of a full-width one.
template <Curve C>
Scalar<C> random_128(Rng& rng) {
  std::array<std::uint8_t, 16> bytes{};
  rng.fill(bytes);
  return Scalar<C>::reduce_wide(bytes);
}

}  // namespace

template <Curve C>
DleqProof<C> dleq_prove(Rng& rng, ByteSpan context, const DleqStatement<C>& statement, const Scalar<C>& x) {
  Scalar<C> k = Scalar<C>::random(rng);
  auto mult = [&k](const Element<C>& base) {
    return base == Element<C>::generator() ? Element<C>::base_mult(k) : base.mult(k);
  };
  Element<C> a1 = mult(statement.g1);
  Element<C> a2 = mult(statement.g2);
  Scalar<C> c = challenge(context, statement, a1, a2);
  return {a1, a2, k + c * x};
}

template <Curve C>
Status dleq_verify(ByteSpan context, const DleqStatement<C>& s, const DleqProof<C>& proof) {
  const Scalar<C> c = challenge(context, s, proof.a1, proof.a2);
  // z g1 - c h1 == a1 and z g2 - c h2 == a2, on public values.
  const Scalar<C> coefficients[2] = {proof.z.clone(), -c};
  const Element<C> first[2] = {s.g1, s.h1};
  const Element<C> second[2] = {s.g2, s.h2};
  auto lhs1 = multi_scalar_mult_vartime<C>(coefficients, first);
  auto lhs2 = multi_scalar_mult_vartime<C>(coefficients, second);
  if (!lhs1 || !lhs2 || !(*lhs1 == proof.a1) || !(*lhs2 == proof.a2)) {
    return make_error(ErrorCode::kVerificationFailed, "DLEQ proof does not verify");
  }
  return {};
}

template <Curve C>
bool dleq_batch_verify(Rng& rng, std::span<const Bytes> contexts, std::span<const DleqStatement<C>> statements,
                       std::span<const DleqProof<C>> proofs) {
  const std::size_t n = proofs.size();
  if (contexts.size() != n || statements.size() != n) return false;
  if (n == 0) return true;
  // sum_i rho_i (z_i g1_i - c_i h1_i - a1_i) + sigma_i (z_i g2_i - c_i h2_i - a2_i) == 0.
  // Bases shared by every statement (g1 = G, g2 = U for TDH2) are merged.
  std::vector<Scalar<C>> scalars;
  std::vector<Element<C>> points;
  scalars.reserve(6 * n);
  points.reserve(6 * n);
  auto add_term = [&](Scalar<C> k, const Element<C>& p) {
    for (std::size_t j = 0; j < points.size() && j < 2; ++j) {
      // p may be a decryption share, secret to all but the requester.
      if (equal_ct(points[j].encode(), p.encode())) {
        scalars[j] += k;
        return;
      }
    }
    scalars.push_back(std::move(k));
    points.push_back(p);
  };
  add_term(Scalar<C>::zero(), statements[0].g1);
  add_term(Scalar<C>::zero(), statements[0].g2);
  for (std::size_t i = 0; i < n; ++i) {
    const auto& s = statements[i];
    const auto& p = proofs[i];
    const Scalar<C> c = challenge(contexts[i], s, p.a1, p.a2);
    Scalar<C> rho = random_128<C>(rng), sigma = random_128<C>(rng);
    add_term(rho * p.z, s.g1);
    add_term(-(rho * c), s.h1);
    add_term(-rho, p.a1);
    add_term(sigma * p.z, s.g2);
    add_term(-(sigma * c), s.h2);
    add_term(-sigma, p.a2);
  }
  auto sum = multi_scalar_mult_vartime<C>(scalars, points);
  return sum.ok() && sum->is_identity();
}

// Explicit instantiations of the above for curve C (inside namespace vigil).
#define VIGIL_INSTANTIATE_DLEQ(C)                                                                     \
  template DleqProof<C> dleq_prove<C>(Rng&, ByteSpan, const DleqStatement<C>&, const Scalar<C>&);     \
  template Status dleq_verify<C>(ByteSpan, const DleqStatement<C>&, const DleqProof<C>&);             \
  template bool dleq_batch_verify<C>(Rng&, std::span<const Bytes>, std::span<const DleqStatement<C>>, \
                                     std::span<const DleqProof<C>>);

}  // namespace vigil
