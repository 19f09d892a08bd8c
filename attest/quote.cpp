// The quote formats of Intel's "ECDSA Quote Library API" (SGX quote v3)
// and "TDX DCAP Quoting Library API" (TDX quote v4, and v5 with its body
// descriptor). All integers are little-endian.
#include <algorithm>
#include <cstring>

#include "vigil/dcap.h"

namespace vigil::dcap {
namespace {

constexpr std::size_t kHeaderBytes = 48;
constexpr std::size_t kEnclaveReportBytes = 384;
constexpr std::size_t kTd10ReportBytes = 584;
constexpr std::size_t kTd15ReportBytes = 648;
constexpr std::uint16_t kEcdsaP256 = 2;
constexpr std::uint32_t kTeeSgx = 0x00000000;
constexpr std::uint32_t kTeeTdx = 0x00000081;
constexpr std::array<std::uint8_t, 16> kIntelQeVendor = {0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
                                                         0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};
// Certification data types (Quote Library API, "Certification Data Type").
constexpr std::uint16_t kPckChain = 5;
constexpr std::uint16_t kQeReportCertification = 6;
// Body types of a v5 quote.
constexpr std::uint16_t kBodySgx = 1;
constexpr std::uint16_t kBodyTd10 = 2;
constexpr std::uint16_t kBodyTd15 = 3;

Error malformed(const std::string& where, const std::string& what) {
  return make_error(ErrorCode::kBadEncoding, "quote: " + where + ": " + what);
}

// Little-endian fields from untrusted bytes; every read is bounds-checked.
class Reader {
 public:
  explicit Reader(ByteSpan in) : in_(in) {}
  std::size_t left() const { return in_.size() - pos_; }
  std::size_t position() const { return pos_; }
  bool take(std::size_t n, ByteSpan& out) {
    if (left() < n) return false;
    out = in_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  template <class T>
  bool integer(T& v) {
    ByteSpan b;
    if (!take(sizeof(T), b)) return false;
    v = 0;
    for (std::size_t i = sizeof(T); i-- > 0;) v = static_cast<T>((v << 8) | b[i]);
    return true;
  }

 private:
  ByteSpan in_;
  std::size_t pos_ = 0;
};

template <std::size_t N>
void copy(std::array<std::uint8_t, N>& out, ByteSpan from, std::size_t offset) {
  std::memcpy(out.data(), from.data() + offset, N);
}

std::uint64_t le64(ByteSpan from, std::size_t offset) {
  std::uint64_t v = 0;
  for (std::size_t i = 8; i-- > 0;) v = (v << 8) | from[offset + i];
  return v;
}
std::uint32_t le32(ByteSpan from, std::size_t offset) {
  std::uint32_t v = 0;
  for (std::size_t i = 4; i-- > 0;) v = (v << 8) | from[offset + i];
  return v;
}
std::uint16_t le16(ByteSpan from, std::size_t offset) {
  return static_cast<std::uint16_t>(from[offset] | (from[offset + 1] << 8));
}

EnclaveReport enclave_report(ByteSpan b) {
  EnclaveReport r;
  copy(r.cpu_svn, b, 0);
  r.misc_select = le32(b, 16);
  copy(r.attributes, b, 48);
  copy(r.mr_enclave, b, 64);
  copy(r.mr_signer, b, 128);
  r.isv_prod_id = le16(b, 256);
  r.isv_svn = le16(b, 258);
  copy(r.report_data, b, 320);
  return r;
}

TdReport td_report(ByteSpan b) {
  TdReport r;
  copy(r.tee_tcb_svn, b, 0);
  copy(r.mr_seam, b, 16);
  copy(r.mr_signer_seam, b, 64);
  r.seam_attributes = le64(b, 112);
  r.td_attributes = le64(b, 120);
  r.xfam = le64(b, 128);
  copy(r.mr_td, b, 136);
  copy(r.mr_config_id, b, 184);
  copy(r.mr_owner, b, 232);
  copy(r.mr_owner_config, b, 280);
  for (std::size_t i = 0; i < 4; ++i) copy(r.rtmr[i], b, 328 + 48 * i);
  copy(r.report_data, b, 520);
  if (b.size() == kTd15ReportBytes) {
    copy(r.tee_tcb_svn2.emplace(), b, 584);
    copy(r.mr_service_td.emplace(), b, 600);
  }
  return r;
}

// The header and body; leaves `in` at the signature data length.
Status parse_signed_part(Reader& in, ByteSpan bytes, Quote& q) {
  ByteSpan header;
  if (!in.take(kHeaderBytes, header)) return malformed("header", "shorter than 48 bytes");
  q.version = le16(header, 0);
  const std::uint16_t key_type = le16(header, 2);
  const std::uint32_t tee = le32(header, 4);
  if (q.version != 3 && q.version != 4 && q.version != 5) {
    return malformed("header", "version " + std::to_string(q.version) + " is not 3, 4 or 5");
  }
  if (key_type != kEcdsaP256) {
    return malformed("header", "attestation key type " + std::to_string(key_type) + " is not ECDSA P-256 (2)");
  }
  if (q.version == 3 && tee == kTeeSgx) {
    q.tee = Tee::kSgx;  // version 3 is SGX only
  } else if (tee == kTeeTdx && q.version != 3) {
    q.tee = Tee::kTdx;
  } else if (tee == kTeeSgx) {
    q.tee = Tee::kSgx;
  } else {
    return malformed("header", "TEE type " + std::to_string(tee) + " with version " + std::to_string(q.version));
  }
  if (!std::equal(kIntelQeVendor.begin(), kIntelQeVendor.end(), header.begin() + 12)) {
    return malformed("header", "the quoting enclave's vendor is not Intel");
  }

  std::size_t body_bytes = q.tee == Tee::kSgx ? kEnclaveReportBytes : kTd10ReportBytes;
  if (q.version == 5) {
    std::uint16_t type = 0;
    std::uint32_t size = 0;
    if (!in.integer(type) || !in.integer(size)) return malformed("body", "truncated descriptor");
    const bool known = (type == kBodySgx && size == kEnclaveReportBytes && q.tee == Tee::kSgx) ||
                       (type == kBodyTd10 && size == kTd10ReportBytes && q.tee == Tee::kTdx) ||
                       (type == kBodyTd15 && size == kTd15ReportBytes && q.tee == Tee::kTdx);
    if (!known) {
      return malformed("body", "type " + std::to_string(type) + " of " + std::to_string(size) + " bytes");
    }
    body_bytes = size;
  }
  ByteSpan body;
  if (!in.take(body_bytes, body)) return malformed("body", "truncated");
  if (q.tee == Tee::kSgx) {
    q.report = enclave_report(body);
  } else {
    q.report = td_report(body);
  }
  q.signed_bytes.assign(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(in.position()));
  return {};
}

// QE report certification data: the QE report, its signature by the PCK
// key, the QE authentication data, then the PCK chain as type 5.
Status parse_qe_certification(Reader& in, Quote& q) {
  ByteSpan report, signature, auth;
  if (!in.take(kEnclaveReportBytes, report)) return malformed("QE report", "truncated");
  q.qe_report_bytes.assign(report.begin(), report.end());
  q.qe_report = enclave_report(report);
  if (!in.take(64, signature)) return malformed("QE report signature", "truncated");
  copy(q.qe_report_signature, signature, 0);
  std::uint16_t auth_size = 0;
  if (!in.integer(auth_size) || !in.take(auth_size, auth)) return malformed("QE authentication data", "truncated");
  q.qe_auth_data.assign(auth.begin(), auth.end());
  std::uint16_t type = 0;
  std::uint32_t size = 0;
  ByteSpan chain;
  if (!in.integer(type) || !in.integer(size)) return malformed("certification data", "truncated");
  if (type != kPckChain) {
    return malformed("certification data", "type " + std::to_string(type) + " is not a PCK certificate chain (5)");
  }
  if (!in.take(size, chain)) return malformed("certification data", "truncated PCK chain");
  // The chain is PEM text; a NUL terminator some quoting libraries append is not part of it.
  std::size_t n = chain.size();
  while (n > 0 && chain[n - 1] == 0) --n;
  q.pck_chain_pem.assign(reinterpret_cast<const char*>(chain.data()), n);
  if (q.pck_chain_pem.find('\0') != std::string::npos) return malformed("certification data", "NUL in the PCK chain");
  return {};
}

}  // namespace

std::string_view tee_name(Tee tee) { return tee == Tee::kSgx ? "sgx" : "tdx"; }

const ReportData& Quote::report_data() const {
  return std::visit([](const auto& r) -> const ReportData& { return r.report_data; }, report);
}

bool Quote::debug() const {
  return std::visit([](const auto& r) { return r.debug(); }, report);
}

Result<Quote> parse_quote(ByteSpan bytes) {
  if (bytes.size() > kMaxQuoteBytes) {
    return malformed("size", std::to_string(bytes.size()) + " bytes, more than " + std::to_string(kMaxQuoteBytes));
  }
  Quote q;
  Reader in(bytes);
  VIGIL_RETURN_IF_ERROR(parse_signed_part(in, bytes, q));

  std::uint32_t signature_size = 0;
  ByteSpan signature_data;
  if (!in.integer(signature_size)) return malformed("signature data", "missing length");
  if (!in.take(signature_size, signature_data)) {
    return malformed("signature data",
                     std::to_string(signature_size) + " bytes announced, " + std::to_string(in.left()) + " present");
  }
  ByteSpan padding;
  in.take(in.left(), padding);
  if (std::any_of(padding.begin(), padding.end(), [](std::uint8_t b) { return b != 0; })) {
    return malformed("trailing bytes", "non-zero bytes after the signature data");
  }

  Reader sig(signature_data);
  ByteSpan signature, key;
  if (!sig.take(64, signature) || !sig.take(64, key)) return malformed("signature data", "truncated");
  copy(q.signature, signature, 0);
  copy(q.attestation_key, key, 0);
  if (q.version == 3) {
    // Version 3 carries the QE report certification data without a type.
    VIGIL_RETURN_IF_ERROR(parse_qe_certification(sig, q));
  } else {
    std::uint16_t type = 0;
    std::uint32_t size = 0;
    ByteSpan inner;
    if (!sig.integer(type) || !sig.integer(size)) return malformed("certification data", "truncated");
    if (type != kQeReportCertification) {
      return malformed("certification data",
                       "type " + std::to_string(type) + " is not QE report certification data (6)");
    }
    if (!sig.take(size, inner)) return malformed("certification data", "truncated");
    Reader qe(inner);
    VIGIL_RETURN_IF_ERROR(parse_qe_certification(qe, q));
    if (qe.left() != 0) return malformed("certification data", "bytes after the PCK chain");
  }
  if (sig.left() != 0) return malformed("signature data", "bytes after the certification data");
  return q;
}

}  // namespace vigil::dcap
