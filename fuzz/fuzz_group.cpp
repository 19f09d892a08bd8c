// Element and scalar decoding on both curves, on arbitrary bytes: a decode
// either fails cleanly or yields a value whose encoding is exactly the input
// (encodings are canonical), and a decoded element behaves as a group
// element (e - e is the identity, -e decodes back).
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdlib>

#include "vigil/group.h"

namespace {

template <vigil::Curve C>
void check(vigil::ByteSpan bytes) {
  if (auto e = vigil::Element<C>::decode(bytes); e.ok()) {
    const auto encoding = e->encode();
    if (!std::equal(encoding.begin(), encoding.end(), bytes.begin(), bytes.end())) std::abort();
    if (e->is_identity() || !(*e - *e).is_identity()) std::abort();
    const auto negated = (-*e).encode();
    const auto back = vigil::Element<C>::decode(negated);
    if (!back.ok() || !(*back == -*e)) std::abort();
  } else if (e.error().code != vigil::ErrorCode::kBadEncoding) {
    std::abort();
  }
  if (auto s = vigil::Scalar<C>::decode(bytes); s.ok()) {
    const auto encoding = s->encode();
    if (!std::equal(encoding.begin(), encoding.end(), bytes.begin(), bytes.end())) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const vigil::ByteSpan bytes(data, size);
  check<vigil::Ristretto255>(bytes);
  check<vigil::Secp256k1>(bytes);
  return 0;
}
