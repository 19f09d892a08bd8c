// TDH2 decryption from the requester's side, where every byte comes from
// nodes or relays: sealed shares, share encodings, and the ciphertext's
// payload stream. Over a fixed 3-of-5 key on each curve:
// - a share decoded from fuzzer bytes takes the place of an honest one, and
//   combining must either fail or return the true plaintext, never another;
// - a sealed box from fuzzer bytes opens (as a share or raw) or is refused;
// - the payload stream, cut and altered, decrypts to the plaintext or fails.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdlib>
#include <vector>

#include "vigil/aead.h"
#include "vigil/dealer.h"
#include "vigil/random.h"
#include "vigil/seal.h"
#include "vigil/tdh2.h"
#include "vigil/x25519.h"

namespace {

using vigil::Bytes;
using vigil::ByteSpan;

template <vigil::Curve C>
struct Fixture {
  vigil::Deal<C> deal;
  vigil::Tdh2PublicKey<C> key;
  vigil::Tdh2Ciphertext<C> ciphertext;
  std::vector<vigil::DecryptionShare<C>> shares;  // nodes 1..3
  Bytes plaintext;
  vigil::X25519KeyPair requester;

  static const Fixture& get() {
    static const Fixture f = make();
    return f;
  }

  static Fixture make() {
    vigil::SeededRng rng(C::kElementBytes);
    auto d = vigil::deal<C>(rng, 5, 3).value();
    auto k = vigil::Tdh2PublicKey<C>::create(d.group_public_key()).value();
    Bytes text(100, 0x5a);
    auto ct = vigil::tdh2_encrypt<C>(rng, k, vigil::Bytes{'l'}, text).value();
    std::vector<vigil::DecryptionShare<C>> out;
    for (std::size_t i = 0; i < 3; ++i) {
      out.push_back(vigil::tdh2_decryption_share<C>(rng, k, ct, d.shares[i].share(), d.shares[i].public_share).value());
    }
    auto requester = vigil::x25519_generate(rng);
    return Fixture{std::move(d), std::move(k), std::move(ct), std::move(out), std::move(text), std::move(requester)};
  }
};

template <vigil::Curve C>
void check_combine(FuzzedDataProvider& in) {
  const auto& f = Fixture<C>::get();
  const auto encoding = in.ConsumeBytes<std::uint8_t>(vigil::encode_decryption_share(f.shares[0]).size());
  auto decoded = vigil::decode_decryption_share<C>(encoding);
  if (!decoded.ok()) return;
  std::vector<vigil::DecryptionShare<C>> shares;
  for (const auto& share : f.shares) {
    shares.push_back(vigil::decode_decryption_share<C>(vigil::encode_decryption_share(share)).value());
  }
  shares[in.ConsumeIntegralInRange<std::size_t>(0, shares.size() - 1)] = std::move(*decoded);
  vigil::SeededRng rng(1);
  const auto combined = vigil::tdh2_combine<C>(rng, f.key, f.deal.public_shares(), 3, f.ciphertext, shares);
  if (combined.ok() && !vigil::equal_ct(combined->plaintext.span(), f.plaintext)) std::abort();
}

template <vigil::Curve C>
void check_sealed(ByteSpan sealed) {
  const auto& f = Fixture<C>::get();
  const auto digest = vigil::tdh2_ciphertext_digest(f.ciphertext);
  const Bytes request_id(32, 1);
  if (auto share = vigil::open_decryption_share<C>(f.requester.secret_key.span(), sealed, request_id, digest, 2);
      share.ok() && share->index != 2) {
    std::abort();
  }
  (void)vigil::open_sealed(f.requester.secret_key.span(), sealed, request_id);
}

void check_stream(FuzzedDataProvider& in) {
  const Bytes key(vigil::kAeadKeyBytes, 3), ad{'a', 'd'};
  Bytes plaintext(in.ConsumeIntegralInRange<std::size_t>(0, 2 * vigil::kStreamChunkBytes + 40), 0x11);
  Bytes ct = vigil::stream_encrypt(key, ad, plaintext).value();
  const Bytes original = ct;
  ct.resize(in.ConsumeIntegralInRange<std::size_t>(0, ct.size() + 20));
  if (in.ConsumeBool() && !ct.empty()) ct[in.ConsumeIntegralInRange<std::size_t>(0, ct.size() - 1)] ^= 1;
  const auto opened = vigil::stream_decrypt(key, ad, ct);
  if (opened.ok() != (ct == original)) std::abort();
  if (opened.ok() && !vigil::equal_ct(opened->span(), plaintext)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  switch (in.ConsumeIntegralInRange<int>(0, 4)) {
    case 0: check_combine<vigil::Ristretto255>(in); break;
    case 1: check_combine<vigil::Secp256k1>(in); break;
    case 2: check_stream(in); break;
    default: {
      const auto sealed = in.ConsumeRemainingBytes<std::uint8_t>();
      check_sealed<vigil::Ristretto255>(sealed);
      check_sealed<vigil::Secp256k1>(sealed);
    }
  }
  return 0;
}
