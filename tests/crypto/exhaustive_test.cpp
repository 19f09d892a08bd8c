// vigil's protocol code over a group of order 13 (tiny_group.h), checked
// against integer arithmetic modulo 13 in every case there is: every scalar,
// every element encoding, every index set, every secret, every proof a
// forger could send. Where a check can be fooled with probability 1/13 (a
// challenge or a batching weight that happens to fit), the test states the
// exact condition under which it is fooled and asserts that it is fooled
// then and only then.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <map>
#include <optional>

#include "internal/dealer_impl.h"
#include "internal/dkg_impl.h"
#include "internal/dleq_impl.h"
#include "internal/msm_impl.h"
#include "internal/shamir_impl.h"
#include "internal/tdh2_impl.h"
#include "support/test_support.h"
#include "tiny_group.h"

namespace vigil {

// Every function of the generic code, for the tiny group: a member that does
// not compile for a third curve fails here, not in a user's build.
template class Scalar<test::Tiny13>;
template Result<Element<test::Tiny13>> multi_scalar_mult_vartime(std::span<const Scalar<test::Tiny13>>,
                                                                 std::span<const Element<test::Tiny13>>);
VIGIL_INSTANTIATE_SHAMIR(test::Tiny13)
VIGIL_INSTANTIATE_DEALER(test::Tiny13)
VIGIL_INSTANTIATE_DLEQ(test::Tiny13)
VIGIL_INSTANTIATE_TDH2(test::Tiny13)
template class DkgParticipant<test::Tiny13>;

namespace test {
namespace {

constexpr unsigned q = kTinyOrder;

unsigned mod(long long v) { return static_cast<unsigned>(((v % q) + q) % q); }
unsigned inverse(unsigned a) {
  for (unsigned b = 1; b < q; ++b) {
    if (a * b % q == 1) return b;
  }
  ADD_FAILURE() << a << " has no inverse modulo 13";
  return 0;
}
unsigned power(unsigned a, unsigned e) {
  unsigned r = 1;
  for (unsigned i = 0; i < e; ++i) r = r * a % q;
  return r;
}

// The indices in a subset of 1..12, as a bit mask (bit i-1 for index i).
std::vector<ParticipantIndex> indices_of(unsigned mask) {
  std::vector<ParticipantIndex> out;
  for (ParticipantIndex i = 1; i <= 12; ++i) {
    if (mask & (1u << (i - 1))) out.push_back(i);
  }
  return out;
}

// Every subset of 1..12 of `size` indices.
std::vector<std::vector<ParticipantIndex>> subsets_of_size(unsigned size) {
  std::vector<std::vector<ParticipantIndex>> out;
  for (unsigned mask = 1; mask < (1u << 12); ++mask) {
    if (static_cast<unsigned>(std::popcount(mask)) == size) out.push_back(indices_of(mask));
  }
  return out;
}

// The polynomial with these coefficients (lowest degree first).
Polynomial<Tiny13> polynomial(const std::vector<unsigned>& coefficients) {
  std::vector<TinyScalar> c;
  for (unsigned v : coefficients) c.push_back(tiny_scalar(v));
  return Polynomial<Tiny13>::from_coefficients(std::move(c)).value();
}
unsigned evaluate(const std::vector<unsigned>& coefficients, unsigned x) {
  unsigned acc = 0;
  for (std::size_t j = coefficients.size(); j-- > 0;) acc = (acc * x + coefficients[j]) % q;
  return acc;
}

// Every coefficient vector of `count` entries, each 0..12, in turn.
template <class F>
void for_every_polynomial(std::size_t count, F&& f) {
  std::vector<unsigned> c(count, 0);
  for (;;) {
    f(c);
    std::size_t k = 0;
    while (k < count && ++c[k] == q) c[k++] = 0;
    if (k == count) return;
  }
}

// An Rng whose first draws are the integers it is told, so that a
// protocol's random scalars (64 bytes reduced, big-endian) take the values a
// test enumerates; after the script, a seeded stream (ephemeral keys).
class ScriptedRng final : public Rng {
 public:
  explicit ScriptedRng(std::vector<unsigned> values, std::uint64_t seed = 1)
      : values_(std::move(values)), rest_(seed) {}
  void fill(std::span<std::uint8_t> out) override {
    if (next_ == values_.size() || out.empty()) return rest_.fill(out);
    std::fill(out.begin(), out.end(), 0);
    out.back() = static_cast<std::uint8_t>(values_[next_++]);
  }

 private:
  std::vector<unsigned> values_;
  std::size_t next_ = 0;
  SeededRng rest_;
};

// ---------------------------------------------------------------------------
// The group and its scalars

TEST(Exhaustive, EveryScalarOperationMatchesIntegersModulo13) {
  for (unsigned a = 0; a < q; ++a) {
    const TinyScalar x = tiny_scalar(a);
    EXPECT_EQ(value_of(x), a);
    EXPECT_EQ(x.is_zero(), a == 0);
    EXPECT_EQ(value_of(-x), mod(-static_cast<long long>(a)));
    auto inv = x.invert_vartime();
    ASSERT_EQ(inv.ok(), a != 0);
    if (a != 0) {
      EXPECT_EQ(value_of(*inv), inverse(a));
    }
    for (unsigned b = 0; b < q; ++b) {
      const TinyScalar y = tiny_scalar(b);
      EXPECT_EQ(value_of(x + y), (a + b) % q);
      EXPECT_EQ(value_of(x - y), mod(static_cast<long long>(a) - b));
      EXPECT_EQ(value_of(x * y), a * b % q);
      EXPECT_EQ(x == y, a == b);
    }
  }
}

TEST(Exhaustive, ScalarDecodingAcceptsExactlyTheCanonicalValues) {
  for (unsigned byte = 0; byte < 256; ++byte) {
    std::array<std::uint8_t, 32> encoding{};
    encoding[31] = static_cast<std::uint8_t>(byte);
    auto s = TinyScalar::decode(encoding);
    ASSERT_EQ(s.ok(), byte < q) << byte;
    if (s) {
      EXPECT_EQ(s->encode(), encoding);
    }
    // Any byte higher up makes the value at least 256 > 13.
    for (std::size_t at = 0; at < 31; ++at) {
      std::array<std::uint8_t, 32> high = encoding;
      high[at] = 1;
      EXPECT_FALSE(TinyScalar::decode(high).ok());
    }
  }
  // A wide value reduces to its residue, whatever its length.
  for (unsigned v = 0; v < 1000; v += 7) {
    std::array<std::uint8_t, 64> wide{};
    wide[62] = static_cast<std::uint8_t>(v >> 8);
    wide[63] = static_cast<std::uint8_t>(v);
    EXPECT_EQ(value_of(TinyScalar::reduce_wide(wide)), v % q);
  }
}

TEST(Exhaustive, ElementDecodingAcceptsExactlyTheNonIdentityGroupElements) {
  unsigned accepted = 0;
  for (unsigned byte = 0; byte < 256; ++byte) {
    const std::uint8_t b = static_cast<std::uint8_t>(byte);
    auto e = TinyElement::decode(ByteSpan(&b, 1));
    // In the subgroup of order 13 of the integers modulo 53, and not 1.
    unsigned x13 = 1;
    for (int i = 0; i < 13; ++i) x13 = x13 * byte % kTinyPrime;
    const bool member = byte > 1 && byte < kTinyPrime && x13 == 1;
    ASSERT_EQ(e.ok(), member) << byte;
    if (e) {
      ++accepted;
      EXPECT_EQ(e->encode()[0], b);
    }
  }
  EXPECT_EQ(accepted, q - 1);
  EXPECT_FALSE(TinyElement::decode(Bytes{}).ok());
  EXPECT_FALSE(TinyElement::decode(Bytes{16, 16}).ok());
  // Scalar multiplication and addition are those of the logarithms.
  for (unsigned k = 0; k < q; ++k) {
    EXPECT_EQ(log_of(TinyElement::base_mult(tiny_scalar(k))), k);
    EXPECT_EQ(log_of(PrecomputedElement<Tiny13>::generator().mult(tiny_scalar(k))), k);
    for (unsigned l = 0; l < q; ++l) {
      EXPECT_EQ(log_of(tiny_element(l).mult(tiny_scalar(k))), k * l % q);
      EXPECT_EQ(log_of(tiny_element(l) + tiny_element(k)), (k + l) % q);
      EXPECT_EQ(log_of(tiny_element(l) - tiny_element(k)), mod(static_cast<long long>(l) - k));
    }
  }
}

TEST(Exhaustive, MultiScalarMultiplicationMatchesTheLogarithms) {
  // Every pair of terms, the generator among them or not, through the real
  // Straus code with its wNAF digits and the generator's own table.
  for (unsigned a = 0; a < q; ++a) {
    for (unsigned b = 0; b < q; ++b) {
      for (unsigned p = 0; p < q; ++p) {
        const TinyScalar scalars[3] = {tiny_scalar(a), tiny_scalar(b), tiny_scalar(a + b)};
        const TinyElement points[3] = {tiny_element(p), TinyElement::generator(), tiny_element(p + 1)};
        auto sum = multi_scalar_mult_vartime<Tiny13>(scalars, points);
        ASSERT_TRUE(sum.ok());
        EXPECT_EQ(log_of(*sum), (a * p + b + (a + b) * (p + 1)) % q);
        auto weighted = internal::weighted_sum_of_secret_elements<Tiny13>(scalars, points);
        ASSERT_TRUE(weighted.ok());
        EXPECT_EQ(log_of(*weighted), log_of(*sum));
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Lagrange interpolation and Shamir sharing

TEST(Exhaustive, LagrangeCoefficientsReproduceEveryPolynomialOfLowerDegreeOnEveryIndexSet) {
  // For every non-empty set S of indices and every point `at`, the
  // coefficients must satisfy sum lambda_i x_i^k = at^k for every k < |S|:
  // exactly what makes interpolation exact for degree below |S|.
  for (unsigned mask = 1; mask < (1u << 12); ++mask) {
    const auto indices = indices_of(mask);
    for (unsigned at = 0; at < q; ++at) {
      auto lambda = lagrange_coefficients<Tiny13>(indices, at);
      ASSERT_TRUE(lambda.ok());
      for (unsigned k = 0; k < indices.size(); ++k) {
        unsigned sum = 0;
        for (std::size_t i = 0; i < indices.size(); ++i) sum += value_of((*lambda)[i]) * power(indices[i], k);
        ASSERT_EQ(sum % q, power(at, k)) << "index set " << mask << " at " << at << " power " << k;
      }
    }
  }
}

TEST(Exhaustive, EveryThresholdSetRecoversEverySecretFromEveryIndexSet) {
  // For t = 1..12 and every secret, a polynomial whose other coefficients
  // are fixed but arbitrary; every set of t of the 12 shares gives the
  // secret back, and in the exponent too.
  for (unsigned t = 1; t <= 12; ++t) {
    const auto sets = subsets_of_size(t);
    for (unsigned secret = 0; secret < q; ++secret) {
      std::vector<unsigned> c{secret};
      for (unsigned j = 1; j < t; ++j) c.push_back((secret * 5 + j * 7 + t) % q);
      const auto f = polynomial(c);
      std::vector<SecretShare<Tiny13>> all;
      std::vector<TinyElement> in_exponent;
      for (ParticipantIndex i = 1; i <= 12; ++i) {
        all.push_back({i, f.evaluate(i)});
        ASSERT_EQ(value_of(all.back().value), evaluate(c, i));
        in_exponent.push_back(TinyElement::base_mult(all.back().value));
      }
      for (const auto& set : sets) {
        std::vector<SecretShare<Tiny13>> shares;
        std::vector<TinyElement> values;
        for (ParticipantIndex i : set) {
          shares.push_back({i, all[i - 1].value.clone()});
          values.push_back(in_exponent[i - 1]);
        }
        auto recovered = interpolate<Tiny13>(shares);
        ASSERT_TRUE(recovered.ok());
        ASSERT_EQ(value_of(*recovered), secret) << "t " << t;
        auto key = interpolate_in_exponent<Tiny13>(set, values);
        ASSERT_TRUE(key.ok());
        ASSERT_EQ(log_of(*key), secret);
      }
    }
  }
}

TEST(Exhaustive, FewerThanThresholdSharesLeaveEverySecretEquallyLikely) {
  // Perfect secrecy, counted: over all 13^3 polynomials of threshold 3, any
  // two shares' values are consistent with each secret exactly once.
  for (const auto& pair : subsets_of_size(2)) {
    std::map<std::pair<unsigned, unsigned>, std::array<unsigned, q>> seen;
    for_every_polynomial(3, [&](const std::vector<unsigned>& c) {
      const auto f = polynomial(c);
      ++seen[{value_of(f.evaluate(pair[0])), value_of(f.evaluate(pair[1]))}][c[0]];
    });
    ASSERT_EQ(seen.size(), q * q);
    for (const auto& [values, per_secret] : seen) {
      for (unsigned n : per_secret) ASSERT_EQ(n, 1u);
    }
  }
}

TEST(Exhaustive, FeldmanVerificationAcceptsExactlyTheRightShare) {
  // Every polynomial of threshold 2, every index, every claimed value.
  for_every_polynomial(2, [&](const std::vector<unsigned>& c) {
    const auto commitment = FeldmanCommitment<Tiny13>::commit(polynomial(c));
    for (ParticipantIndex i = 1; i <= 12; ++i) {
      const unsigned right = evaluate(c, i);
      auto public_share = commitment.public_share(i);
      ASSERT_TRUE(public_share.ok());
      ASSERT_EQ(log_of(*public_share), right);
      for (unsigned v = 0; v < q; ++v) {
        ASSERT_EQ(commitment.verify_share(i, tiny_scalar(v)).ok(), v == right)
            << "f = " << c[0] << " + " << c[1] << "x, index " << i << ", value " << v;
        ASSERT_EQ(commitment.verify_public_share(i, tiny_element(v)).ok(), v == right);
      }
    }
  });
  // A commitment with an identity entry is refused; one of the wrong length too.
  EXPECT_FALSE(FeldmanCommitment<Tiny13>::create({tiny_element(3), tiny_element(0)}, 2).ok());
  EXPECT_FALSE(FeldmanCommitment<Tiny13>::create({tiny_element(3)}, 2).ok());
}

TEST(Exhaustive, DealsVerifyAndEveryShareMatchesItsCommitment) {
  for_every_polynomial(3, [&](const std::vector<unsigned>& c) {
    auto d = deal_polynomial<Tiny13>(polynomial(c), 5);
    ASSERT_TRUE(d.ok());
    ASSERT_TRUE(verify_deal<Tiny13>(*d).ok());
    ASSERT_EQ(log_of(d->commitment.group_public_key()), c[0]);
    for (const auto& share : d->shares) {
      ASSERT_EQ(value_of(share.secret_share), evaluate(c, share.index));
      ASSERT_EQ(log_of(share.public_share), evaluate(c, share.index));
    }
  });
}

// ---------------------------------------------------------------------------
// DLEQ proofs

TEST(Exhaustive, DleqVerificationIsExactlyItsTwoEquations) {
  // Statements h1 = x g1, h2 = y g2 (true when x = y), and every proof
  // (a1, a2, z) a forger could send: the verifier must accept exactly when
  // z g1 = a1 + c h1 and z g2 = a2 + c h2 for the challenge c, so a false
  // statement passes only for the 1-in-13 commitments whose challenge fits.
  const Bytes context = {'t'};
  const unsigned g1 = 1, g2 = 5;
  unsigned false_accepted = 0, false_tried = 0;
  for (unsigned x = 0; x < q; ++x) {
    for (unsigned y : {x, (x + 1) % q, (x + 6) % q}) {
      const DleqStatement<Tiny13> s{tiny_element(g1), tiny_element(x * g1), tiny_element(g2), tiny_element(y * g2)};
      for (unsigned a1 = 0; a1 < q; ++a1) {
        for (unsigned a2 = 0; a2 < q; ++a2) {
          const unsigned c = value_of(challenge<Tiny13>(context, s, tiny_element(a1), tiny_element(a2)));
          for (unsigned z = 0; z < q; ++z) {
            const DleqProof<Tiny13> proof{tiny_element(a1), tiny_element(a2), tiny_scalar(z)};
            const bool holds = z * g1 % q == (a1 + c * x * g1) % q && z * g2 % q == (a2 + c * y * g2) % q;
            ASSERT_EQ(dleq_verify<Tiny13>(context, s, proof).ok(), holds)
                << "x " << x << " y " << y << " a1 " << a1 << " a2 " << a2 << " z " << z;
            if (x != y) {
              ++false_tried;
              false_accepted += holds ? 1 : 0;
            }
          }
        }
      }
    }
  }
  // For a false statement, a pair (a1, a2) admits one z, and only when
  // a1/g1 - a2/g2 = c (y - x) for its challenge c: one pair in 13, so one
  // proof in 169 of those tried.
  EXPECT_GT(false_accepted, 0u);
  EXPECT_LT(false_accepted, 2 * false_tried / (q * q));
}

TEST(Exhaustive, HonestDleqProofsVerifyForEveryWitnessAndNonce) {
  const Bytes context = {'h'};
  for (unsigned x = 0; x < q; ++x) {
    const DleqStatement<Tiny13> s{TinyElement::generator(), tiny_element(x), tiny_element(7), tiny_element(7 * x)};
    for (unsigned k = 1; k < q; ++k) {
      ScriptedRng rng({k});
      const auto proof = dleq_prove<Tiny13>(rng, context, s, tiny_scalar(x));
      EXPECT_EQ(log_of(proof.a1), k);
      ASSERT_TRUE(dleq_verify<Tiny13>(context, s, proof).ok()) << "x " << x << " k " << k;
      // Under another context the challenge differs, and with it the proof,
      // unless the witness is zero (z = k whatever c is).
      const bool same_challenge =
          challenge<Tiny13>(Bytes{'o'}, s, proof.a1, proof.a2) == challenge<Tiny13>(context, s, proof.a1, proof.a2);
      ASSERT_EQ(dleq_verify<Tiny13>(Bytes{'o'}, s, proof).ok(), same_challenge || x == 0);
    }
  }
}

// ---------------------------------------------------------------------------
// TDH2

TEST(Exhaustive, Tdh2DecryptsForEveryKeyEveryNonceAndEveryPairOfShares) {
  // Threshold 2 of 3, every group secret and second coefficient, every r
  // and s of the encryption: every pair of honest shares decrypts.
  const Bytes label = {'l'}, message = {'m', 's', 'g'};
  const auto pairs = std::vector<std::vector<ParticipantIndex>>{{1, 2}, {1, 3}, {2, 3}};
  for (unsigned secret = 1; secret < q; ++secret) {
    for (unsigned a1 = 0; a1 < q; a1 += (secret == 1 ? 1 : 4)) {
      const std::vector<unsigned> c{secret, a1};
      const auto key = Tdh2PublicKey<Tiny13>::create(tiny_element(secret)).value();
      std::vector<TinyElement> public_shares;
      for (ParticipantIndex i = 1; i <= 3; ++i) public_shares.push_back(tiny_element(evaluate(c, i)));
      for (unsigned r = 1; r < q; r += (secret == 1 ? 1 : 5)) {
        for (unsigned s = 1; s < q; s += (secret == 1 ? 1 : 5)) {
          ScriptedRng rng({r, s});
          auto ct = tdh2_encrypt<Tiny13>(rng, key, label, message);
          ASSERT_TRUE(ct.ok());
          ASSERT_EQ(log_of(ct->u), r);
          ASSERT_TRUE(tdh2_verify_ciphertext<Tiny13>(key, *ct).ok());
          // A holder whose share is zero (its public share the identity:
          // 2^-252 on a real curve) is refused its decryption share.
          std::vector<std::optional<DecryptionShare<Tiny13>>> shares;
          for (ParticipantIndex i = 1; i <= 3; ++i) {
            SeededRng proof_rng(i);
            auto share = tdh2_decryption_share<Tiny13>(proof_rng, key, *ct, {i, tiny_scalar(evaluate(c, i))},
                                                       public_shares[i - 1]);
            if (evaluate(c, i) == 0) {
              ASSERT_FALSE(share.ok());
              EXPECT_EQ(share.error().code, ErrorCode::kInvalidInput);
              shares.emplace_back();
              continue;
            }
            ASSERT_TRUE(share.ok()) << share.error().message;
            ASSERT_EQ(log_of(share->value), r * evaluate(c, i) % q);
            ASSERT_TRUE(tdh2_verify_share<Tiny13>(*ct, public_shares[i - 1], *share).ok());
            shares.emplace_back(std::move(share).value());
          }
          for (const auto& pair : pairs) {
            std::vector<DecryptionShare<Tiny13>> two;
            for (ParticipantIndex i : pair) {
              if (shares[i - 1]) two.push_back(shares[i - 1]->clone());
            }
            SeededRng combine_rng(r * q + s);
            auto plain = tdh2_combine<Tiny13>(combine_rng, key, public_shares, 2, *ct, two);
            ASSERT_EQ(plain.ok(), two.size() == 2);
            if (!plain) continue;
            ASSERT_TRUE(std::equal(message.begin(), message.end(), plain->plaintext.span().begin(),
                                   plain->plaintext.span().end()));
          }
        }
      }
    }
  }
}

TEST(Exhaustive, Tdh2ShareVerificationRefusesEveryWrongValue) {
  // A node that sends another value with its honest proof (a1, a2, z) is
  // caught, unless the proof's challenge c is zero and so is the forged
  // statement's: then z = k fits any value. Each is 1 in 13 here, 2^-252
  // on a real curve; the check must pass then and only then.
  const Bytes label = {'l'}, message = {'x'};
  unsigned forgeries = 0;
  for (unsigned secret = 1; secret < q; ++secret) {
    const std::vector<unsigned> c{secret, 3};
    const auto key = Tdh2PublicKey<Tiny13>::create(tiny_element(secret)).value();
    ScriptedRng rng({4, 9});
    const auto ct = tdh2_encrypt<Tiny13>(rng, key, label, message).value();
    for (ParticipantIndex i = 1; i <= 12; ++i) {
      const auto public_share = tiny_element(evaluate(c, i));
      SeededRng proof_rng(i);
      auto computed = tdh2_decryption_share<Tiny13>(proof_rng, key, ct, {i, tiny_scalar(evaluate(c, i))}, public_share);
      ASSERT_EQ(computed.ok(), evaluate(c, i) != 0);  // a zero share is refused (see above)
      if (!computed) continue;
      const DecryptionShare<Tiny13> share = std::move(computed).value();
      const Bytes context = share_context<Tiny13>(tdh2_ciphertext_digest(ct), ct.label, i);
      auto challenge_of = [&](const DecryptionShare<Tiny13>& d) {
        return value_of(challenge<Tiny13>(context, share_statement(ct, public_share, d), d.proof.a1, d.proof.a2));
      };
      for (unsigned v = 0; v < q; ++v) {
        DecryptionShare<Tiny13> forged = share.clone();
        forged.value = tiny_element(v);
        const bool honest = v == 4 * evaluate(c, i) % q;
        const bool zero_challenges = challenge_of(share) == 0 && challenge_of(forged) == 0;
        ASSERT_EQ(tdh2_verify_share<Tiny13>(ct, public_share, forged).ok(), v != 0 && (honest || zero_challenges))
            << "secret " << secret << " index " << i << " value " << v;
        forgeries += !honest && v != 0 && zero_challenges ? 1 : 0;
      }
    }
  }
  EXPECT_LT(forgeries, 12u * 12u * 12u / 13u);  // about 12 * 12 * 12 / 169 expected
}

TEST(Exhaustive, Tdh2CiphertextCheckIsExactlyItsBatchedEquations) {
  // Every tampered u_bar and f: the check combines f G = w + e u and
  // f G_bar = w_bar + e u_bar with a weight rho from the proof, so it
  // accepts exactly when d1 + rho d2 = 0 for the two equations' defects:
  // both hold, or (1 time in 13 here; 2^-128 on a real curve) rho cancels.
  const Bytes label = {'l'}, message = {'y'};
  unsigned fooled = 0;
  for (unsigned secret = 1; secret < q; ++secret) {
    const auto key = Tdh2PublicKey<Tiny13>::create(tiny_element(secret)).value();
    const unsigned g_bar = log_of(key.second_generator());
    ScriptedRng rng({2, 11});
    const auto honest = tdh2_encrypt<Tiny13>(rng, key, label, message).value();
    for (unsigned u_bar = 0; u_bar < q; ++u_bar) {
      for (unsigned f = 0; f < q; ++f) {
        Tdh2Ciphertext<Tiny13> ct = honest.clone();
        ct.u_bar = tiny_element(u_bar);
        ct.f = tiny_scalar(f);
        const unsigned e =
            value_of(validity_challenge<Tiny13>(key, ct.label, ct.payload, ct.u, ct.w, ct.u_bar, ct.w_bar));
        ByteWriter t;
        t.field("vigil/v1/tdh2/validity-batch").field(tiny_scalar(e).encode()).field(ct.f.encode());
        const auto digest = sha256(t.bytes());
        const unsigned rho = value_of(TinyScalar::reduce_wide(ByteSpan(digest).first(16)));
        const unsigned d1 = mod(static_cast<long long>(f) - log_of(ct.w) - e * log_of(ct.u));
        const unsigned d2 = mod(static_cast<long long>(f) * g_bar - log_of(ct.w_bar) - e * u_bar);
        const bool accepted = u_bar != 0 && (d1 + rho * d2) % q == 0;
        ASSERT_EQ(tdh2_verify_ciphertext<Tiny13>(key, ct).ok(), accepted)
            << "secret " << secret << " u_bar " << u_bar << " f " << f;
        if (accepted && (d1 != 0 || d2 != 0)) ++fooled;
        if (u_bar == log_of(honest.u_bar) && f == value_of(honest.f)) {
          ASSERT_TRUE(accepted);
        }
      }
    }
  }
  // The batching weight is fooled, as counted, about once per 13 tries.
  EXPECT_GT(fooled, 0u);
  EXPECT_LT(fooled, 12u * q * q / 6);
}

// ---------------------------------------------------------------------------
// DKG

// Three participants, threshold 2: the keys they seal shares to, and each
// dealer's deal with its polynomial a0 + a1 x and proof nonce k scripted.
struct TinyDkg {
  DkgParameters params{{}, 3, 2};
  std::vector<X25519KeyPair> keys;
  std::vector<X25519PublicKey> public_keys;

  TinyDkg() {
    SeededRng rng(vigil::test::test_seed());
    for (int i = 0; i < 3; ++i) {
      keys.push_back(x25519_generate(rng));
      public_keys.push_back(keys.back().public_key);
    }
  }
  DkgParticipant<Tiny13> participant(ParticipantIndex i) const {
    return DkgParticipant<Tiny13>::create(params, i, keys[i - 1].secret_key.clone(), public_keys).value();
  }
};

TEST(Exhaustive, DkgAgreesOnTheSumOfEveryCombinationOfDealerSecrets) {
  // Every a0 of every dealer (12^3 runs): all three finish with the key
  // sum a0 G, shares on the summed polynomial, any two of which interpolate
  // to the key. Where the summed polynomial has a zero coefficient (its
  // commitment would hold the identity: 2^-252 on a real curve), every
  // participant refuses to finish instead.
  const TinyDkg setup;
  for (unsigned s1 = 1; s1 < q; ++s1) {
    for (unsigned s2 = 1; s2 < q; ++s2) {
      for (unsigned s3 = 1; s3 < q; ++s3) {
        const unsigned a0[3] = {s1, s2, s3}, a1[3] = {(s1 + 1) % 12 + 1, 5, (s3 * 2) % 12 + 1};
        std::vector<DkgParticipant<Tiny13>> parts;
        std::vector<typename DkgParticipant<Tiny13>::Deal> deals;
        for (ParticipantIndex i = 1; i <= 3; ++i) {
          parts.push_back(setup.participant(i));
          ScriptedRng rng({a0[i - 1], a1[i - 1], 7}, i);
          deals.push_back(parts.back().deal(rng).value());
        }
        for (const auto& d : deals) {
          for (auto& p : parts) {
            if (p.index() != d.dealing.dealer) {
              ASSERT_TRUE(p.receive_dealing(d.dealing).ok());
            }
          }
          for (const auto& share : d.shares) ASSERT_TRUE(parts[share.recipient - 1].receive_share(share).ok());
        }
        const unsigned key = (s1 + s2 + s3) % q, slope = (a1[0] + a1[1] + a1[2]) % q;
        std::vector<SecretShare<Tiny13>> shares;
        for (auto& p : parts) {
          ASSERT_TRUE(p.complaints().empty());
          auto result = p.finish();
          ASSERT_EQ(result.ok(), key != 0 && slope != 0) << s1 << " " << s2 << " " << s3;
          if (!result) continue;
          ASSERT_EQ(log_of(result->group_key), key);
          ASSERT_TRUE(result->excluded.empty());
          ASSERT_EQ(value_of(result->share.value), (key + slope * p.index()) % q);
          for (ParticipantIndex j = 1; j <= 3; ++j)
            ASSERT_EQ(log_of(result->public_shares[j - 1]), (key + slope * j) % q);
          shares.push_back(result->share.clone());
        }
        if (shares.empty()) continue;
        for (std::size_t i = 0; i < 3; ++i) {
          const SecretShare<Tiny13> two[2] = {{shares[i].index, shares[i].value.clone()},
                                              {shares[(i + 1) % 3].index, shares[(i + 1) % 3].value.clone()}};
          ASSERT_EQ(value_of(interpolate<Tiny13>(two).value()), key);
        }
      }
    }
  }
}

TEST(Exhaustive, DkgProofOfKnowledgeIsExactlyItsEquation) {
  // Dealer 1's proof (R, z) replaced by every pair: participant 2 keeps
  // dealer 1 exactly when z G = R + c a0 G for the challenge c of that R.
  const TinyDkg setup;
  auto dealer1 = setup.participant(1);
  auto dealer3 = setup.participant(3);
  ScriptedRng rng1({4, 9, 2}, 1), rng3({6, 1, 3}, 3);
  const auto deal1 = dealer1.deal(rng1).value();
  const auto deal3 = dealer3.deal(rng3).value();
  // The session context the proof is bound to (DkgParticipant::context()).
  ByteWriter context;
  context.field(setup.params.session_id).u32(3).u32(2);
  unsigned kept = 0;
  for (unsigned r = 0; r < q; ++r) {
    for (unsigned z = 0; z < q; ++z) {
      auto p2 = setup.participant(2);
      ScriptedRng rng2({5, 8, 11}, 2);
      ASSERT_TRUE(p2.deal(rng2).ok());
      DkgDealing<Tiny13> tampered = deal1.dealing.clone();
      tampered.proof = {tiny_element(r), tiny_scalar(z)};
      ASSERT_TRUE(p2.receive_dealing(tampered).ok());
      ASSERT_TRUE(p2.receive_dealing(deal3.dealing).ok());
      for (const auto* d : {&deal1, &deal3}) {
        for (const auto& share : d->shares) {
          if (share.recipient == 2) {
            ASSERT_TRUE(p2.receive_share(share).ok());
          }
        }
      }
      const unsigned c = value_of(pok_challenge<Tiny13>(context.bytes(), 1, tiny_element(4), tiny_element(r)));
      const bool holds = z == (r + c * 4) % q;
      auto result = p2.finish();
      ASSERT_TRUE(result.ok());
      ASSERT_EQ(result->excluded.empty(), holds) << "R " << r << " z " << z;
      ASSERT_EQ(log_of(result->group_key), holds ? (4 + 5 + 6) % q : (5 + 6) % q);
      kept += holds ? 1 : 0;
    }
  }
  EXPECT_EQ(kept, q);  // one z for each R
}

}  // namespace
}  // namespace test
}  // namespace vigil
