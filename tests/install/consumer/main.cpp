// A program outside the vigil tree: split a key 2-of-3 and recover it.
#include <vigil/dealer.h>

#include <cstdio>

int main() {
  auto d = vigil::deal<vigil::Ristretto255>(vigil::system_rng(), 3, 2);
  if (!d.ok() || !vigil::verify_deal(*d).ok()) return 1;
  std::vector<vigil::SecretShare<vigil::Ristretto255>> two;
  two.push_back({1, d->shares[0].secret_share.clone()});
  two.push_back({3, d->shares[2].secret_share.clone()});
  auto secret = vigil::interpolate<vigil::Ristretto255>(two);
  if (!secret.ok() || !(vigil::Element<vigil::Ristretto255>::base_mult(*secret) == d->group_public_key())) return 1;
  std::puts("find_package(vigil) consumer: 2-of-3 split and recovered");
  return 0;
}
