#include "support/synthetic_dcap.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <vector>

#include "vigil/hash.h"

namespace vigil::test {
namespace {

[[noreturn]] void fail(const char* what) {
  ERR_print_errors_fp(stderr);
  throw std::runtime_error(std::string("synthetic DCAP: ") + what);
}
void check(bool ok, const char* what) {
  if (!ok) fail(what);
}

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertFree {
  void operator()(X509* c) const { X509_free(c); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

Key p256() {
  Key k(EVP_EC_gen("P-256"));
  check(k != nullptr, "key generation");
  return k;
}

// x || y of a P-256 public key.
std::array<std::uint8_t, 64> raw_public(EVP_PKEY* key) {
  std::array<std::uint8_t, 65> point{};
  std::size_t n = 0;
  check(EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size(), &n) == 1 && n == 65,
        "public key");
  std::array<std::uint8_t, 64> out{};
  std::memcpy(out.data(), point.data() + 1, 64);
  return out;
}

// ECDSA P-256 with SHA-256, as raw r || s.
std::array<std::uint8_t, 64> sign_raw(EVP_PKEY* key, ByteSpan message) {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  std::size_t n = 0;
  check(EVP_DigestSignInit(md, nullptr, EVP_sha256(), nullptr, key) == 1 &&
            EVP_DigestSign(md, nullptr, &n, message.data(), message.size()) == 1,
        "signing");
  std::vector<unsigned char> der(n);
  check(EVP_DigestSign(md, der.data(), &n, message.data(), message.size()) == 1, "signing");
  EVP_MD_CTX_free(md);
  const unsigned char* p = der.data();
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(n));
  check(sig != nullptr, "signature");
  std::array<std::uint8_t, 64> out{};
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), out.data(), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), out.data() + 32, 32);
  ECDSA_SIG_free(sig);
  return out;
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  check(ext != nullptr && X509_add_ext(cert, ext, -1) == 1, "extension");
  X509_EXTENSION_free(ext);
}

// DER of the SGX extension's value: FMSPC, PCE-ID and the TCB.
Bytes sgx_extension(const std::array<std::uint8_t, 6>& fmspc, std::uint8_t component_svn, std::uint16_t pce_svn) {
  const auto tlv = [](std::uint8_t tag, const Bytes& value) {
    Bytes out{tag};
    if (value.size() < 128) {
      out.push_back(static_cast<std::uint8_t>(value.size()));
    } else {
      out.push_back(0x82);
      out.push_back(static_cast<std::uint8_t>(value.size() >> 8));
      out.push_back(static_cast<std::uint8_t>(value.size()));
    }
    out.insert(out.end(), value.begin(), value.end());
    return out;
  };
  const auto oid = [&](std::initializer_list<std::uint8_t> tail) {
    Bytes arc = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};
    arc.insert(arc.end(), tail.begin(), tail.end());
    return tlv(0x06, arc);
  };
  const auto field = [&](Bytes id, const Bytes& value) {
    id.insert(id.end(), value.begin(), value.end());
    return tlv(0x30, id);
  };
  Bytes tcb;
  for (std::uint8_t i = 1; i <= 16; ++i) {
    const Bytes f = field(oid({2, i}), tlv(0x02, {component_svn}));
    tcb.insert(tcb.end(), f.begin(), f.end());
  }
  Bytes pce =
      field(oid({2, 17}), tlv(0x02, {static_cast<std::uint8_t>(pce_svn >> 8), static_cast<std::uint8_t>(pce_svn)}));
  tcb.insert(tcb.end(), pce.begin(), pce.end());
  Bytes cpu = field(oid({2, 18}), tlv(0x04, Bytes(16, component_svn)));
  tcb.insert(tcb.end(), cpu.begin(), cpu.end());
  Bytes all = field(oid({1}), tlv(0x04, Bytes(16, 0xaa)));
  for (const Bytes& f :
       {field(oid({2}), tlv(0x30, tcb)), field(oid({3}), tlv(0x04, {0, 0})),
        field(oid({4}), tlv(0x04, Bytes(fmspc.begin(), fmspc.end()))), field(oid({5}), tlv(0x0a, {0}))}) {
    all.insert(all.end(), f.begin(), f.end());
  }
  return tlv(0x30, all);
}

Cert make_cert(EVP_PKEY* key, const char* cn, X509* issuer, EVP_PKEY* issuer_key, long serial, std::int64_t from,
               std::int64_t until, bool ca, const Bytes* sgx_extension_der = nullptr) {
  Cert cert(X509_new());
  check(cert != nullptr, "certificate");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("vigil tests"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer != nullptr ? X509_get_subject_name(issuer) : name);
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), static_cast<time_t>(from));
  ASN1_TIME_set(X509_getm_notAfter(cert.get()), static_cast<time_t>(until));
  X509_set_pubkey(cert.get(), key);
  X509* signer = issuer != nullptr ? issuer : cert.get();
  add_extension(cert.get(), signer, NID_subject_key_identifier, "hash");
  add_extension(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
  add_extension(cert.get(), signer, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  add_extension(cert.get(), signer, NID_key_usage, ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
  if (sgx_extension_der != nullptr) {
    ASN1_OCTET_STRING* value = ASN1_OCTET_STRING_new();
    ASN1_OCTET_STRING_set(value, sgx_extension_der->data(), static_cast<int>(sgx_extension_der->size()));
    ASN1_OBJECT* oid = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
    X509_EXTENSION* sgx = X509_EXTENSION_create_by_OBJ(nullptr, oid, 0, value);
    check(sgx != nullptr && X509_add_ext(cert.get(), sgx, -1) == 1, "SGX extension");
    X509_EXTENSION_free(sgx);
    ASN1_OBJECT_free(oid);
    ASN1_OCTET_STRING_free(value);
  }
  check(X509_sign(cert.get(), issuer_key, EVP_sha256()) > 0, "certificate signature");
  return cert;
}

std::string pem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return out;
}

Bytes der(X509* cert) {
  unsigned char* out = nullptr;
  const int n = i2d_X509(cert, &out);
  check(n > 0, "DER");
  Bytes bytes(out, out + n);
  OPENSSL_free(out);
  return bytes;
}

Bytes crl(X509* issuer, EVP_PKEY* key, std::int64_t from, std::int64_t until, const std::vector<long>& revoked) {
  X509_CRL* c = X509_CRL_new();
  X509_CRL_set_version(c, 1);
  X509_CRL_set_issuer_name(c, X509_get_subject_name(issuer));
  ASN1_TIME* t = ASN1_TIME_set(nullptr, static_cast<time_t>(from));
  X509_CRL_set1_lastUpdate(c, t);
  ASN1_TIME_set(t, static_cast<time_t>(until));
  X509_CRL_set1_nextUpdate(c, t);
  for (long serial : revoked) {
    X509_REVOKED* r = X509_REVOKED_new();
    ASN1_INTEGER* s = ASN1_INTEGER_new();
    ASN1_INTEGER_set(s, serial);
    X509_REVOKED_set_serialNumber(r, s);
    ASN1_TIME_set(t, static_cast<time_t>(from));
    X509_REVOKED_set_revocationDate(r, t);
    X509_CRL_add0_revoked(c, r);
    ASN1_INTEGER_free(s);
  }
  ASN1_TIME_free(t);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, nullptr, nullptr, c, 0);
  X509_EXTENSION* akid = X509V3_EXT_conf_nid(nullptr, &ctx, NID_authority_key_identifier, "keyid:always");
  check(akid != nullptr && X509_CRL_add_ext(c, akid, -1) == 1, "CRL extension");
  X509_EXTENSION_free(akid);
  X509_CRL_sort(c);
  check(X509_CRL_sign(c, key, EVP_sha256()) > 0, "CRL signature");
  unsigned char* out = nullptr;
  const int n = i2d_X509_CRL(c, &out);
  Bytes bytes(out, out + n);
  OPENSSL_free(out);
  X509_CRL_free(c);
  return bytes;
}

std::string utc(std::int64_t unix_s) {
  const time_t t = static_cast<time_t>(unix_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return out;
}

void put16(Bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
}
void put32(Bytes& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void put64(Bytes& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
template <std::size_t N>
void put(Bytes& out, const std::array<std::uint8_t, N>& a) {
  out.insert(out.end(), a.begin(), a.end());
}

Bytes enclave_report_bytes(const dcap::EnclaveReport& r) {
  Bytes out;
  put(out, r.cpu_svn);
  put32(out, r.misc_select);
  out.resize(out.size() + 28);
  put(out, r.attributes);
  put(out, r.mr_enclave);
  out.resize(out.size() + 32);
  put(out, r.mr_signer);
  out.resize(out.size() + 96);
  put16(out, r.isv_prod_id);
  put16(out, r.isv_svn);
  out.resize(out.size() + 60);
  put(out, r.report_data);
  return out;
}

Bytes td_report_bytes(const dcap::TdReport& r) {
  Bytes out;
  put(out, r.tee_tcb_svn);
  put(out, r.mr_seam);
  put(out, r.mr_signer_seam);
  put64(out, r.seam_attributes);
  put64(out, r.td_attributes);
  put64(out, r.xfam);
  put(out, r.mr_td);
  put(out, r.mr_config_id);
  put(out, r.mr_owner);
  put(out, r.mr_owner_config);
  for (const auto& rtmr : r.rtmr) put(out, rtmr);
  put(out, r.report_data);
  return out;
}

constexpr std::array<std::uint8_t, 6> kFmspc = {0x90, 0xc0, 0x6f, 0x00, 0x00, 0x00};
constexpr std::uint8_t kQeSignerByte = 0x5e;

}  // namespace

struct SyntheticDcap::Impl {
  dcap::Tee tee = dcap::Tee::kTdx;
  std::int64_t from = 0, until = 0;
  Key root_key = p256(), pck_ca_key = p256(), pck_key = p256(), tcb_key = p256(), attestation_key = p256();
  Cert root, pck_ca, pck, tcb_signing;
  bool pck_revoked = false;
  dcap::TcbStatus status = dcap::TcbStatus::kUpToDate;
  std::int64_t tcb_next_update = 0;
  dcap::TcbStatus qe_status = dcap::TcbStatus::kUpToDate;
  bool pck_signs_collateral = false;
  std::array<std::uint8_t, 6> collateral_fmspc = kFmspc;

  dcap::EnclaveReport qe_report() const {
    dcap::EnclaveReport qe;
    qe.attributes[0] = 0x11;
    qe.mr_signer.fill(kQeSignerByte);
    qe.isv_prod_id = tee == dcap::Tee::kTdx ? 2 : 1;
    qe.isv_svn = 8;
    const auto key = raw_public(attestation_key.get());
    const Bytes auth(32, 0x42);
    Bytes bound(key.begin(), key.end());
    bound.insert(bound.end(), auth.begin(), auth.end());
    const auto digest = sha256(bound);
    std::copy(digest.begin(), digest.end(), qe.report_data.begin());
    return qe;
  }

  // `body_type` 0: version 4 (TDX) or 3 (SGX); otherwise version 5 with
  // that body descriptor.
  Bytes quote(const Bytes& body, std::uint16_t body_type = 0) const {
    Bytes q;
    put16(q, body_type != 0 ? 5 : tee == dcap::Tee::kTdx ? 4 : 3);
    put16(q, 2);
    put32(q, tee == dcap::Tee::kTdx ? 0x81 : 0);
    put16(q, 0);
    put16(q, 0);
    const std::array<std::uint8_t, 16> intel = {0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
                                                0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};
    put(q, intel);
    q.resize(q.size() + 20);
    if (body_type != 0) {
      put16(q, body_type);
      put32(q, static_cast<std::uint32_t>(body.size()));
    }
    q.insert(q.end(), body.begin(), body.end());

    const Bytes qe = enclave_report_bytes(qe_report());
    Bytes certification = qe;
    put(certification, sign_raw(pck_key.get(), qe));
    put16(certification, 32);
    certification.insert(certification.end(), 32, 0x42);
    const std::string chain = pem(pck.get()) + pem(pck_ca.get()) + pem(root.get());
    put16(certification, 5);
    put32(certification, static_cast<std::uint32_t>(chain.size()));
    certification.insert(certification.end(), chain.begin(), chain.end());

    Bytes signature_data;
    put(signature_data, sign_raw(attestation_key.get(), q));
    put(signature_data, raw_public(attestation_key.get()));
    if (tee == dcap::Tee::kTdx) {
      put16(signature_data, 6);
      put32(signature_data, static_cast<std::uint32_t>(certification.size()));
    }
    signature_data.insert(signature_data.end(), certification.begin(), certification.end());
    put32(q, static_cast<std::uint32_t>(signature_data.size()));
    q.insert(q.end(), signature_data.begin(), signature_data.end());
    return q;
  }
};

SyntheticDcap::SyntheticDcap(dcap::Tee tee, std::int64_t now_unix_s) : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.tee = tee;
  s.from = now_unix_s - 86400;
  s.until = now_unix_s + 30 * 86400;
  s.tcb_next_update = s.until;
  const std::int64_t certificates_until = s.until + 365 * 86400;
  s.root = make_cert(s.root_key.get(), "vigil test SGX Root CA", nullptr, s.root_key.get(), 1, s.from,
                     certificates_until, true);
  s.pck_ca = make_cert(s.pck_ca_key.get(), "vigil test SGX PCK Platform CA", s.root.get(), s.root_key.get(), 2, s.from,
                       certificates_until, true);
  s.tcb_signing = make_cert(s.tcb_key.get(), "vigil test SGX TCB Signing", s.root.get(), s.root_key.get(), 3, s.from,
                            certificates_until, false);
  const Bytes sgx = sgx_extension(kFmspc, 3, 11);
  s.pck = make_cert(s.pck_key.get(), "vigil test SGX PCK Certificate", s.pck_ca.get(), s.pck_ca_key.get(), 4, s.from,
                    certificates_until, false, &sgx);
}

SyntheticDcap::~SyntheticDcap() = default;
SyntheticDcap::SyntheticDcap(SyntheticDcap&&) noexcept = default;
SyntheticDcap& SyntheticDcap::operator=(SyntheticDcap&&) noexcept = default;

dcap::Tee SyntheticDcap::tee() const { return impl_->tee; }
Bytes SyntheticDcap::root_der() const { return der(impl_->root.get()); }
void SyntheticDcap::revoke_pck_certificate() { impl_->pck_revoked = true; }
void SyntheticDcap::set_tcb_status(dcap::TcbStatus status) { impl_->status = status; }
void SyntheticDcap::set_tcb_info_next_update(std::int64_t unix_s) { impl_->tcb_next_update = unix_s; }
void SyntheticDcap::set_qe_status(dcap::TcbStatus status) { impl_->qe_status = status; }
void SyntheticDcap::sign_collateral_with_pck_key() { impl_->pck_signs_collateral = true; }
void SyntheticDcap::set_collateral_fmspc(const std::array<std::uint8_t, 6>& fmspc) { impl_->collateral_fmspc = fmspc; }

dcap::Collateral SyntheticDcap::collateral() const {
  const Impl& s = *impl_;
  const bool tdx = s.tee == dcap::Tee::kTdx;
  dcap::Collateral c;
  c.pck_crl_issuer_chain = pem(s.pck_ca.get()) + pem(s.root.get());
  c.root_ca_crl = crl(s.root.get(), s.root_key.get(), s.from, s.until, {});
  c.pck_crl = crl(s.pck_ca.get(), s.pck_ca_key.get(), s.from, s.until,
                  s.pck_revoked ? std::vector<long>{4} : std::vector<long>{});
  c.tcb_info_issuer_chain = s.pck_signs_collateral ? pem(s.pck.get()) + pem(s.pck_ca.get()) + pem(s.root.get())
                                                   : pem(s.tcb_signing.get()) + pem(s.root.get());
  EVP_PKEY* collateral_key = s.pck_signs_collateral ? s.pck_key.get() : s.tcb_key.get();
  c.qe_identity_issuer_chain = c.tcb_info_issuer_chain;

  const auto components = [](int svn) {
    nlohmann::json list = nlohmann::json::array();
    for (int i = 0; i < 16; ++i) list.push_back({{"svn", svn}});
    return list;
  };
  nlohmann::json level = {{"tcb", {{"sgxtcbcomponents", components(3)}, {"pcesvn", 11}}},
                          {"tcbDate", utc(s.from)},
                          {"tcbStatus", std::string(dcap::tcb_status_name(s.status))}};
  if (s.status != dcap::TcbStatus::kUpToDate) level["advisoryIDs"] = {"INTEL-SA-00000"};
  nlohmann::json old = {{"tcb", {{"sgxtcbcomponents", components(1)}, {"pcesvn", 5}}},
                        {"tcbDate", utc(s.from - 86400 * 365)},
                        {"tcbStatus", "OutOfDate"},
                        {"advisoryIDs", {"INTEL-SA-00001"}}};
  nlohmann::json info = {{"id", tdx ? "TDX" : "SGX"},
                         {"version", 3},
                         {"issueDate", utc(s.from)},
                         {"nextUpdate", utc(s.tcb_next_update)},
                         {"fmspc", to_hex(s.collateral_fmspc)},
                         {"pceId", "0000"},
                         {"tcbType", 0},
                         {"tcbEvaluationDataNumber", 17}};
  if (tdx) {
    level["tcb"]["tdxtcbcomponents"] = components(0);
    old["tcb"]["tdxtcbcomponents"] = components(0);
    const std::string zeros(96, '0');
    info["tdxModule"] = {
        {"mrsigner", zeros}, {"attributes", "0000000000000000"}, {"attributesMask", "FFFFFFFFFFFFFFFF"}};
    info["tdxModuleIdentities"] = {
        {{"id", "TDX_01"},
         {"mrsigner", zeros},
         {"attributes", "0000000000000000"},
         {"attributesMask", "FFFFFFFFFFFFFFFF"},
         {"tcbLevels", {{{"tcb", {{"isvsvn", 2}}}, {"tcbDate", utc(s.from)}, {"tcbStatus", "UpToDate"}}}}}};
  }
  info["tcbLevels"] = {level, old};
  c.tcb_info = info.dump();
  const auto tcb_signature = sign_raw(collateral_key, as_bytes(c.tcb_info));
  c.tcb_info_signature.assign(tcb_signature.begin(), tcb_signature.end());

  const nlohmann::json qe = {
      {"id", tdx ? "TD_QE" : "QE"},
      {"version", 2},
      {"issueDate", utc(s.from)},
      {"nextUpdate", utc(s.until)},
      {"tcbEvaluationDataNumber", 17},
      {"miscselect", "00000000"},
      {"miscselectMask", "FFFFFFFF"},
      {"attributes", "11000000000000000000000000000000"},
      {"attributesMask", "FBFFFFFFFFFFFFFF0000000000000000"},
      {"mrsigner", to_hex(Bytes(32, kQeSignerByte))},
      {"isvprodid", tdx ? 2 : 1},
      {"tcbLevels",
       {{{"tcb", {{"isvsvn", 8}}},
         {"tcbDate", utc(s.from)},
         {"tcbStatus", std::string(tcb_status_name(s.qe_status))}}}},
  };
  c.qe_identity = qe.dump();
  const auto qe_signature = sign_raw(collateral_key, as_bytes(c.qe_identity));
  c.qe_identity_signature.assign(qe_signature.begin(), qe_signature.end());
  return c;
}

std::string SyntheticDcap::collateral_json() const {
  const dcap::Collateral c = collateral();
  return nlohmann::json{
      {"pck_crl_issuer_chain", c.pck_crl_issuer_chain},
      {"root_ca_crl", to_hex(c.root_ca_crl)},
      {"pck_crl", to_hex(c.pck_crl)},
      {"tcb_info_issuer_chain", c.tcb_info_issuer_chain},
      {"tcb_info", c.tcb_info},
      {"tcb_info_signature", to_hex(c.tcb_info_signature)},
      {"qe_identity_issuer_chain", c.qe_identity_issuer_chain},
      {"qe_identity", c.qe_identity},
      {"qe_identity_signature", to_hex(c.qe_identity_signature)},
  }
      .dump();
}

dcap::TdReport SyntheticDcap::td_report() const {
  dcap::TdReport r;
  r.tee_tcb_svn[0] = 3;          // TDX module SVN
  r.tee_tcb_svn[1] = 1;          // its major version: TDX_01
  r.td_attributes = 0x10000000;  // SEPT_VE_DISABLE, not debug
  r.xfam = 0x61ae7;
  r.mr_td.fill(0x7d);
  for (std::size_t i = 0; i < 4; ++i) r.rtmr[i].fill(static_cast<std::uint8_t>(0xa0 + i));
  return r;
}

dcap::EnclaveReport SyntheticDcap::enclave_report() const {
  dcap::EnclaveReport r;
  r.attributes[0] = 0x05;  // INIT, MODE64BIT; not DEBUG
  r.mr_enclave.fill(0xe1);
  r.mr_signer.fill(0x51);
  r.isv_prod_id = 7;
  r.isv_svn = 3;
  return r;
}

Bytes SyntheticDcap::quote(const dcap::TdReport& report) const { return impl_->quote(td_report_bytes(report)); }
Bytes SyntheticDcap::quote_v5(const dcap::TdReport& report) const {
  Bytes body = td_report_bytes(report);
  if (report.tee_tcb_svn2) {
    body.insert(body.end(), report.tee_tcb_svn2->begin(), report.tee_tcb_svn2->end());
    const dcap::Measurement48 none{};
    const auto& service_td = report.mr_service_td ? *report.mr_service_td : none;
    body.insert(body.end(), service_td.begin(), service_td.end());
  }
  return impl_->quote(body, report.tee_tcb_svn2 ? 3 : 2);
}
Bytes SyntheticDcap::quote(const dcap::EnclaveReport& report) const {
  return impl_->quote(enclave_report_bytes(report));
}

}  // namespace vigil::test
