#include "x509.h"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <climits>
#include <cstring>
#include <ctime>

namespace vigil::dcap::internal {
namespace {

constexpr std::size_t kMaxChainCertificates = 8;
constexpr std::size_t kMaxDerBytes = 64 * 1024;

Error bad(const std::string& what, const std::string& why) {
  return make_error(ErrorCode::kBadEncoding, what + ": " + why);
}

using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX, X509_STORE_CTX_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG, ECDSA_SIG_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
struct CertStackFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_free(s); }
};

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
// days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// A minimal DER reader for the SGX extension: tag, definite length, value;
// every length is checked against what is left.
class Der {
 public:
  explicit Der(ByteSpan in) : in_(in) {}
  bool empty() const { return in_.empty(); }
  bool next(std::uint8_t tag, ByteSpan& value) {
    if (in_.size() < 2 || in_[0] != tag) return false;
    std::size_t length = in_[1];
    std::size_t header = 2;
    if (length & 0x80) {
      const std::size_t n = length & 0x7f;
      if (n == 0 || n > 3 || in_.size() < 2 + n) return false;
      length = 0;
      for (std::size_t i = 0; i < n; ++i) length = (length << 8) | in_[2 + i];
      header += n;
    }
    if (in_.size() - header < length) return false;
    value = in_.subspan(header, length);
    in_ = in_.subspan(header + length);
    return true;
  }

 private:
  ByteSpan in_;
};

constexpr std::uint8_t kSequence = 0x30;
constexpr std::uint8_t kOid = 0x06;
constexpr std::uint8_t kOctetString = 0x04;
constexpr std::uint8_t kInteger = 0x02;
// 1.2.840.113741.1.13.1, the SGX extension; its fields are arcs below it.
constexpr std::array<std::uint8_t, 9> kSgxArc = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};

// Whether `oid` is kSgxArc followed by exactly `tail`.
bool is_sgx_oid(ByteSpan oid, std::initializer_list<std::uint8_t> tail) {
  if (oid.size() != kSgxArc.size() + tail.size()) return false;
  return std::equal(kSgxArc.begin(), kSgxArc.end(), oid.begin()) &&
         std::equal(tail.begin(), tail.end(), oid.begin() + kSgxArc.size());
}

// A small non-negative DER INTEGER (an SVN).
bool small_integer(ByteSpan value, unsigned max, unsigned& out) {
  if (value.empty() || value.size() > 3 || (value[0] & 0x80)) return false;
  out = 0;
  for (std::uint8_t b : value) out = (out << 8) | b;
  return out <= max;
}

template <std::size_t N>
bool octets(ByteSpan value, std::array<std::uint8_t, N>& out) {
  if (value.size() != N) return false;
  std::memcpy(out.data(), value.data(), N);
  return true;
}

Status parse_tcb(ByteSpan tcb, PckExtension& out) {
  Der items(tcb);
  std::uint32_t seen = 0;
  while (!items.empty()) {
    ByteSpan item, oid, value;
    if (!items.next(kSequence, item)) return bad("PCK certificate", "malformed TCB in the SGX extension");
    Der fields(item);
    if (!fields.next(kOid, oid) || oid.size() != kSgxArc.size() + 2 ||
        !is_sgx_oid(oid.first(kSgxArc.size() + 1), {2})) {
      return bad("PCK certificate", "unexpected field in the SGX TCB");
    }
    const unsigned arc = oid.back();
    unsigned svn = 0;
    if (arc >= 1 && arc <= 16) {
      if (!fields.next(kInteger, value) || !small_integer(value, 255, svn))
        return bad("PCK certificate", "SGX TCB component");
      out.component_svn[arc - 1] = static_cast<std::uint8_t>(svn);
    } else if (arc == 17) {
      if (!fields.next(kInteger, value) || !small_integer(value, 65535, svn)) return bad("PCK certificate", "PCESVN");
      out.pce_svn = static_cast<std::uint16_t>(svn);
    } else if (arc == 18) {
      if (!fields.next(kOctetString, value) || !octets(value, out.cpu_svn)) return bad("PCK certificate", "CPUSVN");
    } else {
      return bad("PCK certificate", "unexpected field in the SGX TCB");
    }
    if (!fields.empty() || (seen & (1U << arc))) return bad("PCK certificate", "malformed SGX TCB");
    seen |= 1U << arc;
  }
  if (seen != 0x7fffeU) return bad("PCK certificate", "the SGX TCB lacks a component");
  return {};
}

}  // namespace

Result<std::vector<X509Ptr>> parse_pem_chain(std::string_view pem, const std::string& what) {
  if (pem.size() > kMaxChainCertificates * kMaxDerBytes) return bad(what, "too long");
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return make_error(ErrorCode::kInternal, "out of memory");
  std::vector<X509Ptr> chain;
  for (;;) {
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) break;
    if (chain.size() == kMaxChainCertificates) return bad(what, "more than 8 certificates");
    chain.push_back(std::move(cert));
  }
  // The loop ends at the end of the text (PEM_R_NO_START_LINE) or on a
  // certificate that does not parse.
  const unsigned long last = ERR_peek_last_error();
  const bool at_end = ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE;
  ERR_clear_error();
  if (!at_end) return bad(what, "a certificate does not parse");
  if (chain.empty()) return bad(what, "no certificate");
  return chain;
}

Result<X509Ptr> parse_der_certificate(ByteSpan der, const std::string& what) {
  if (der.size() > kMaxDerBytes) return bad(what, "too long");
  const unsigned char* p = der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  ERR_clear_error();
  if (!cert || p != der.data() + der.size()) return bad(what, "not one DER certificate");
  return cert;
}

Result<X509CrlPtr> parse_der_crl(ByteSpan der, const std::string& what) {
  if (der.size() > 16 * kMaxDerBytes) return bad(what, "too long");
  const unsigned char* p = der.data();
  X509CrlPtr crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size())));
  ERR_clear_error();
  if (!crl || p != der.data() + der.size()) return bad(what, "not one DER CRL");
  return crl;
}

Result<X509StorePtr> make_store(X509* root, const std::vector<X509_CRL*>& crls) {
  X509StorePtr store(X509_STORE_new());
  if (!store || X509_STORE_add_cert(store.get(), root) != 1) {
    ERR_clear_error();
    return make_error(ErrorCode::kInternal, "cannot build a certificate store");
  }
  for (X509_CRL* crl : crls) {
    if (X509_STORE_add_crl(store.get(), crl) != 1) {
      ERR_clear_error();
      return make_error(ErrorCode::kInternal, "cannot add a CRL to the certificate store");
    }
  }
  return store;
}

Status verify_chain(X509_STORE* store, const std::vector<X509Ptr>& chain, std::optional<std::int64_t> unix_s,
                    const std::string& what) {
  if (chain.empty()) return make_error(ErrorCode::kVerificationFailed, what + ": no certificate");
  std::unique_ptr<STACK_OF(X509), CertStackFree> untrusted(sk_X509_new_null());
  if (!untrusted) return make_error(ErrorCode::kInternal, "out of memory");
  for (std::size_t i = 1; i < chain.size(); ++i) {
    // A self-signed certificate in the chain is a root: only the store's counts.
    if (self_signed(chain[i].get())) continue;
    if (sk_X509_push(untrusted.get(), chain[i].get()) == 0) return make_error(ErrorCode::kInternal, "out of memory");
  }
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store, chain[0].get(), untrusted.get()) != 1) {
    ERR_clear_error();
    return make_error(ErrorCode::kInternal, "cannot set up chain verification");
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL | X509_V_FLAG_X509_STRICT);
  if (unix_s) {
    X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(*unix_s));
  } else {
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_NO_CHECK_TIME);
  }
  const int ok = X509_verify_cert(ctx.get());
  ERR_clear_error();
  if (ok == 1) return {};
  const int code = X509_STORE_CTX_get_error(ctx.get());
  const int depth = X509_STORE_CTX_get_error_depth(ctx.get());
  return make_error(ErrorCode::kVerificationFailed, what + ": " + X509_verify_cert_error_string(code) +
                                                        " (certificate " + std::to_string(depth) + " of the chain)");
}

std::string common_name(X509* cert) {
  const X509_NAME* name = X509_get_subject_name(cert);
  const int at = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (at < 0) return "";
  const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, at));
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                     static_cast<std::size_t>(ASN1_STRING_length(value)));
}

bool issued_by(X509* cert, X509* issuer) {
  const bool ok = X509_check_issued(issuer, cert) == X509_V_OK && X509_verify(cert, X509_get0_pubkey(issuer)) == 1;
  ERR_clear_error();
  return ok;
}

bool self_signed(X509* cert) { return X509_check_issued(cert, cert) == X509_V_OK; }

Result<EvpPkeyPtr> p256_key(ByteSpan xy) {
  if (xy.size() != 64) return bad("attestation key", "not 64 bytes");
  std::array<std::uint8_t, 65> point{};
  point[0] = 0x04;
  std::memcpy(point.data() + 1, xy.data(), 64);
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  char group[] = "prime256v1";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()),
      OSSL_PARAM_construct_end(),
  };
  EVP_PKEY* key = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    ERR_clear_error();
    return bad("attestation key", "not a point on P-256");
  }
  return EvpPkeyPtr(key);
}

bool ecdsa_p256_verify(EVP_PKEY* key, ByteSpan message, ByteSpan raw_signature) {
  if (raw_signature.size() != 64) return false;
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(raw_signature.data(), 32, nullptr);
  BIGNUM* s = BN_bin2bn(raw_signature.data() + 32, 32, nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ERR_clear_error();
    return false;
  }
  unsigned char* der = nullptr;
  const int der_size = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_size <= 0) {
    ERR_clear_error();
    return false;
  }
  MdCtxPtr md(EVP_MD_CTX_new());
  const bool ok =
      md && EVP_DigestVerifyInit(md.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestVerify(md.get(), der, static_cast<std::size_t>(der_size), message.data(), message.size()) == 1;
  OPENSSL_free(der);
  ERR_clear_error();
  return ok;
}

Result<PckExtension> pck_extension(X509* pck) {
  PckExtension out;
  const X509_EXTENSION* found = nullptr;
  const int count = X509_get_ext_count(pck);
  for (int i = 0; i < count; ++i) {
    const X509_EXTENSION* ext = X509_get_ext(pck, i);
    const ASN1_OBJECT* obj = X509_EXTENSION_get_object(const_cast<X509_EXTENSION*>(ext));
    const unsigned char* oid = OBJ_get0_data(obj);
    const std::size_t oid_size = OBJ_length(obj);
    if (oid != nullptr && is_sgx_oid(ByteSpan(oid, oid_size), {})) {
      if (found != nullptr) return bad("PCK certificate", "two SGX extensions");
      found = ext;
    }
  }
  if (found == nullptr) return bad("PCK certificate", "no SGX extension");
  const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(const_cast<X509_EXTENSION*>(found));
  Der outer(ByteSpan(ASN1_STRING_get0_data(data), static_cast<std::size_t>(ASN1_STRING_length(data))));
  ByteSpan body;
  if (!outer.next(kSequence, body) || !outer.empty()) return bad("PCK certificate", "malformed SGX extension");
  Der items(body);
  bool tcb = false, pce_id = false, fmspc = false;
  while (!items.empty()) {
    ByteSpan item, oid, value;
    if (!items.next(kSequence, item)) return bad("PCK certificate", "malformed SGX extension");
    Der fields(item);
    if (!fields.next(kOid, oid)) return bad("PCK certificate", "malformed SGX extension");
    if (is_sgx_oid(oid, {2})) {
      if (tcb || !fields.next(kSequence, value)) return bad("PCK certificate", "malformed SGX TCB");
      VIGIL_RETURN_IF_ERROR(parse_tcb(value, out));
      tcb = true;
    } else if (is_sgx_oid(oid, {3})) {
      if (pce_id || !fields.next(kOctetString, value) || !octets(value, out.pce_id)) {
        return bad("PCK certificate", "malformed PCE-ID");
      }
      pce_id = true;
    } else if (is_sgx_oid(oid, {4})) {
      if (fmspc || !fields.next(kOctetString, value) || !octets(value, out.fmspc)) {
        return bad("PCK certificate", "malformed FMSPC");
      }
      fmspc = true;
    }
    // Other fields (PPID, SGX type, platform instance, configuration) are
    // not used in TCB evaluation.
  }
  if (!tcb || !pce_id || !fmspc) return bad("PCK certificate", "the SGX extension lacks its TCB, PCE-ID or FMSPC");
  return out;
}

std::int64_t unix_seconds(const ASN1_TIME* time) {
  std::tm t{};
  if (ASN1_TIME_to_tm(time, &t) != 1) return 0;
  return days_from_civil(t.tm_year + 1900, static_cast<unsigned>(t.tm_mon + 1), static_cast<unsigned>(t.tm_mday)) *
             86400 +
         t.tm_hour * 3600 + t.tm_min * 60 + t.tm_sec;
}

Result<std::int64_t> parse_utc(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SSZ
  const auto digits = [&](std::size_t at, std::size_t n, unsigned& v) {
    v = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      v = v * 10 + static_cast<unsigned>(text[i] - '0');
    }
    return true;
  };
  unsigned y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (text.size() != 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' || text[16] != ':' ||
      text[19] != 'Z' || !digits(0, 4, y) || !digits(5, 2, mo) || !digits(8, 2, d) || !digits(11, 2, h) ||
      !digits(14, 2, mi) || !digits(17, 2, s) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) {
    return make_error(ErrorCode::kBadEncoding, "not a date of the form YYYY-MM-DDTHH:MM:SSZ");
  }
  return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

std::string format_utc(std::int64_t unix_s) {
  // civil_from_days, the inverse of days_from_civil.
  std::int64_t z = (unix_s >= 0 ? unix_s : unix_s - 86399) / 86400;
  const std::int64_t secs = unix_s - z * 86400;
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0);
  const auto h = static_cast<unsigned>(secs / 3600), mi = static_cast<unsigned>(secs / 60 % 60),
             s = static_cast<unsigned>(secs % 60);
  char out[64];
  std::snprintf(out, sizeof out, "%04lld-%02u-%02uT%02u:%02u:%02uZ", static_cast<long long>(y), m, d, h, mi, s);
  return out;
}

}  // namespace vigil::dcap::internal
