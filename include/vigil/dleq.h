// Chaum-Pedersen proof of equality of discrete logarithms (DLEQ): given
// g1, h1 = x g1, g2, h2 = x g2, the prover shows it knows x without revealing
// it. Non-interactive by Fiat-Shamir; the challenge hashes a domain tag, the
// curve, the caller's context and all six elements, each length-prefixed.
//
// The proof carries the commitments (a1, a2) and the response z, rather than
// the challenge, so that many proofs verify together in one multi-scalar
// multiplication (dleq_batch_verify).
//
// Reference: Chaum and Pedersen, "Wallet databases with observers" (1992).
#pragma once

#include <vector>

#include "vigil/group.h"

namespace vigil {

template <Curve C>
struct DleqProof {
  Element<C> a1, a2;  // k g1, k g2
  Scalar<C> z;        // k + c x

  DleqProof clone() const { return {a1, a2, z.clone()}; }
};

// The statement a proof is about: h1 = x g1 and h2 = x g2.
template <Curve C>
struct DleqStatement {
  Element<C> g1, h1, g2, h2;
};

template <Curve C>
DleqProof<C> dleq_prove(Rng& rng, ByteSpan context, const DleqStatement<C>& statement, const Scalar<C>& x);

// kVerificationFailed when the proof does not verify.
template <Curve C>
Status dleq_verify(ByteSpan context, const DleqStatement<C>& statement, const DleqProof<C>& proof);

// True when every proof verifies (with probability 1 - 2^-128 over `rng`
// otherwise false): a random linear combination of all the verification
// equations, checked by one multi-scalar multiplication. On false, verify
// proofs one by one to find the bad ones. Spans must have equal length.
template <Curve C>
bool dleq_batch_verify(Rng& rng, std::span<const Bytes> contexts, std::span<const DleqStatement<C>> statements,
                       std::span<const DleqProof<C>> proofs);

}  // namespace vigil
