// Hashing to scalars and group elements (RFC 9380), domain-separated.
//
//   ristretto255: expand_message_xmd with SHA-512; 64 bytes reduced modulo
//                 the order for a scalar; for an element the RFC 9496
//                 one-way map of 64 bytes (suite ristretto255_XMD:SHA-512_R255MAP_RO_).
//   secp256k1:    expand_message_xmd with SHA-256; hash_to_field with L = 48
//                 for a scalar; for an element the suite
//                 secp256k1_XMD:SHA-256_SSWU_RO_ (simplified SWU on a
//                 3-isogenous curve).
#pragma once

#include <string_view>

#include "vigil/group.h"

namespace vigil {

// A non-empty domain-separation tag of at most 255 bytes. Literals are
// checked at compile time; runtime strings go through make().
class DomainTag {
 public:
  consteval DomainTag(const char* literal) : tag_(literal) {  // NOLINT(google-explicit-constructor)
    if (tag_.empty() || tag_.size() > 255) throw "domain tag must have 1 to 255 bytes";
  }
  static Result<DomainTag> make(std::string_view tag);
  std::string_view view() const { return tag_; }
  ByteSpan bytes() const { return as_bytes(tag_); }

 private:
  struct Unchecked {};
  DomainTag(Unchecked, std::string_view tag) : tag_(tag) {}
  std::string_view tag_;
};

template <Curve C>
Scalar<C> hash_to_scalar(ByteSpan msg, DomainTag dst);

template <Curve C>
Element<C> hash_to_element(ByteSpan msg, DomainTag dst);

// RFC 9496 section 4.3.4: the one-way map from 64 uniform bytes.
Result<Element<Ristretto255>> ristretto255_from_uniform_bytes(ByteSpan bytes64);

}  // namespace vigil
