// One participant's whole share of a DKG (deal, check n-1 dealings and
// shares, finish with the key and every public share): the cryptographic
// CPU per node, without the network. `vigil bench dkg` times the real thing
// over TLS between vigild processes.
#include <vector>

#include "bench_support.h"
#include "vigil/dkg.h"

namespace vigil::bench {
namespace {

template <Curve C>
void register_dkg_curve() {
  for (std::size_t n : {4, 16, 32, 64}) {
    const std::size_t t = 2 * n / 3 + 1;
    add(name<C>("BM_DkgOneParticipant") + "/" + std::to_string(n) + "/" + std::to_string(t), "",
        [n, t](benchmark::State& state) {
          SeededRng rng(11);
          DkgParameters params{{}, n, t};
          std::vector<X25519KeyPair> keys;
          std::vector<X25519PublicKey> publics;
          for (std::size_t i = 0; i < n; ++i) {
            keys.push_back(x25519_generate(rng));
            publics.push_back(keys.back().public_key);
          }
          // Everyone else's dealings, made once.
          std::vector<typename DkgParticipant<C>::Deal> deals;
          for (ParticipantIndex i = 2; i <= n; ++i) {
            auto p = DkgParticipant<C>::create(params, i, keys[i - 1].secret_key.clone(), publics).value();
            deals.push_back(p.deal(rng).value());
          }
          for (auto _ : state) {
            auto self = DkgParticipant<C>::create(params, 1, keys[0].secret_key.clone(), publics).value();
            benchmark::DoNotOptimize(self.deal(rng));
            for (const auto& d : deals) {
              (void)self.receive_dealing(d.dealing);
              (void)self.receive_share(d.shares[0]);
            }
            benchmark::DoNotOptimize(self.complaints());
            benchmark::DoNotOptimize(self.finish());
          }
        })
        ->Unit(benchmark::kMillisecond);
  }
}

}  // namespace

void register_dkg_benchmarks() {
  register_dkg_curve<Ristretto255>();
  register_dkg_curve<Secp256k1>();
}

}  // namespace vigil::bench
