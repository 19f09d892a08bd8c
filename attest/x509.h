// What DCAP verification needs of OpenSSL, each piece bounded and returning
// errors as values: certificates, chains with CRLs at a given time, P-256
// ECDSA over raw r || s signatures, Intel's SGX extension of a PCK
// certificate, and the dates of X.509 and of Intel's JSON.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/bytes.h"
#include "vigil/result.h"

namespace vigil::dcap::internal {

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using X509CrlPtr = std::unique_ptr<X509_CRL, Deleter<X509_CRL, X509_CRL_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE, X509_STORE_free>>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;

// A certificate chain in PEM, leaf first: at most 8 certificates.
Result<std::vector<X509Ptr>> parse_pem_chain(std::string_view pem, const std::string& what);
Result<X509Ptr> parse_der_certificate(ByteSpan der, const std::string& what);
Result<X509CrlPtr> parse_der_crl(ByteSpan der, const std::string& what);

// A store that trusts `root` alone and checks every certificate below it
// against `crls` (each must be signed by the issuer it names).
Result<X509StorePtr> make_store(X509* root, const std::vector<X509_CRL*>& crls);

// Verifies `chain` (leaf first; any root in it is ignored: the store's is
// the only one trusted) up to the store's root, with revocation, at
// `unix_s`, or without checking dates when it is empty.
Status verify_chain(X509_STORE* store, const std::vector<X509Ptr>& chain, std::optional<std::int64_t> unix_s,
                    const std::string& what);

// The subject's common name ("" when there is none).
std::string common_name(X509* cert);
// Whether `issuer` issued `cert` (names match and its key signed it).
bool issued_by(X509* cert, X509* issuer);
bool self_signed(X509* cert);

// A P-256 public key from its raw x || y coordinates.
Result<EvpPkeyPtr> p256_key(ByteSpan xy);
// ECDSA with SHA-256 over `message`, the signature as raw r || s.
bool ecdsa_p256_verify(EVP_PKEY* key, ByteSpan message, ByteSpan raw_signature);

// The fields of Intel's SGX extension (OID 1.2.840.113741.1.13.1) of a PCK
// certificate that TCB evaluation uses.
struct PckExtension {
  std::array<std::uint8_t, 16> cpu_svn{};
  std::array<std::uint8_t, 16> component_svn{};
  std::uint16_t pce_svn = 0;
  std::array<std::uint8_t, 2> pce_id{};
  std::array<std::uint8_t, 6> fmspc{};
};
Result<PckExtension> pck_extension(X509* pck);

// Seconds since the Unix epoch of an X.509 time, of "YYYY-MM-DDTHH:MM:SSZ"
// (Intel's JSON dates; nothing else is accepted), and back.
std::int64_t unix_seconds(const ASN1_TIME* time);
Result<std::int64_t> parse_utc(std::string_view text);
std::string format_utc(std::int64_t unix_s);

}  // namespace vigil::dcap::internal
