// Intel DCAP remote attestation, offline: parsing SGX (quote v3) and TDX
// (quote v4 and v5) quotes and verifying them against collateral (the PCK
// CRLs, the signed TCB info and QE identity) and a pinned root, the Intel
// SGX Root CA compiled in. No network and no clock: the verification time
// is an input. docs/attestation.md explains the checks and how an operator
// fetches and refreshes collateral.
//
// Nothing here fails open: an unknown version, TEE type, TCB status or
// field value is an error, never a pass.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "vigil/bytes.h"
#include "vigil/result.h"

namespace vigil::dcap {

enum class Tee : std::uint8_t { kSgx, kTdx };
std::string_view tee_name(Tee tee);  // "sgx", "tdx"

using ReportData = std::array<std::uint8_t, 64>;
using Measurement32 = std::array<std::uint8_t, 32>;
using Measurement48 = std::array<std::uint8_t, 48>;

// An SGX enclave's REPORT body (384 bytes): the quoted enclave of an SGX
// quote, and the quoting enclave's own report in every quote.
struct EnclaveReport {
  std::array<std::uint8_t, 16> cpu_svn{};
  std::uint32_t misc_select = 0;
  std::array<std::uint8_t, 16> attributes{};  // flags (8 bytes) then XFRM
  Measurement32 mr_enclave{};
  Measurement32 mr_signer{};
  std::uint16_t isv_prod_id = 0;
  std::uint16_t isv_svn = 0;
  ReportData report_data{};

  bool debug() const { return (attributes[0] & 0x02) != 0; }  // ATTRIBUTES.DEBUG
};

// A trust domain's TDREPORT body: 584 bytes (TD 1.0), 648 with the TD 1.5
// fields.
struct TdReport {
  std::array<std::uint8_t, 16> tee_tcb_svn{};  // [0] TDX module SVN, [1] its major version
  Measurement48 mr_seam{};
  Measurement48 mr_signer_seam{};
  std::uint64_t seam_attributes = 0;
  std::uint64_t td_attributes = 0;
  std::uint64_t xfam = 0;
  Measurement48 mr_td{};
  Measurement48 mr_config_id{};
  Measurement48 mr_owner{};
  Measurement48 mr_owner_config{};
  std::array<Measurement48, 4> rtmr{};
  ReportData report_data{};
  // TD 1.5 only.
  std::optional<std::array<std::uint8_t, 16>> tee_tcb_svn2;
  std::optional<Measurement48> mr_service_td;

  bool debug() const { return (td_attributes & 1) != 0; }  // TDATTRIBUTES.DEBUG
};

inline constexpr std::size_t kMaxQuoteBytes = 64 * 1024;

// A parsed quote. Nothing in it is trusted until verify_quote says so.
struct Quote {
  std::uint16_t version = 0;  // 3 (SGX), 4 or 5 (TDX)
  Tee tee = Tee::kSgx;
  std::variant<EnclaveReport, TdReport> report;
  Bytes signed_bytes;                              // header and body: what the attestation key signed
  std::array<std::uint8_t, 64> signature{};        // ECDSA P-256, r || s
  std::array<std::uint8_t, 64> attestation_key{};  // P-256 point, x || y
  EnclaveReport qe_report;
  Bytes qe_report_bytes;  // what the PCK key signed
  std::array<std::uint8_t, 64> qe_report_signature{};
  Bytes qe_auth_data;
  std::string pck_chain_pem;  // PCK certificate, its issuer, maybe the root

  const ReportData& report_data() const;
  bool debug() const;
};

// Parses a quote; trailing zero bytes after the signature data (quotes are
// often handed over in a fixed-size buffer) are ignored. Anything else
// malformed is kBadEncoding naming the part ("quote: signature data: ...").
Result<Quote> parse_quote(ByteSpan bytes);

// Intel's TCB statuses, from best to worst as far as order means anything.
enum class TcbStatus : std::uint8_t {
  kUpToDate,
  kSwHardeningNeeded,
  kConfigurationNeeded,
  kConfigurationAndSwHardeningNeeded,
  kOutOfDate,
  kOutOfDateConfigurationNeeded,
  kRevoked,
};
std::string_view tcb_status_name(TcbStatus status);  // "UpToDate", "SWHardeningNeeded", ...
// kBadEncoding for a name that is not one of Intel's.
Result<TcbStatus> parse_tcb_status(std::string_view name);

// Collateral as served by Intel's PCS or a PCCS, in the JSON layout of
// docs/attestation.md: PEM issuer chains, hex DER CRLs, and the TCB info and
// QE identity JSON exactly as signed (never re-serialised).
struct Collateral {
  std::string pck_crl_issuer_chain;
  Bytes root_ca_crl;
  Bytes pck_crl;
  std::string tcb_info_issuer_chain;
  std::string tcb_info;
  Bytes tcb_info_signature;  // r || s
  std::string qe_identity_issuer_chain;
  std::string qe_identity;
  Bytes qe_identity_signature;  // r || s
};

inline constexpr std::size_t kMaxCollateralBytes = 1024 * 1024;

// kBadEncoding naming the field.
Result<Collateral> parse_collateral_json(std::string_view json);

// The Intel SGX Root CA certificate (DER), the one trust anchor of release
// builds. A root carried in a quote or in collateral is never trusted.
ByteSpan intel_sgx_root_ca();

// Collateral whose signatures and chains were checked once against a root,
// parsed and kept for verifying many quotes: the expensive part done once.
// Cheap to copy (shared, immutable).
class CheckedCollateral {
 public:
  // Checks the issuer chains and CRLs up to `root` (DER), and the TCB info
  // and QE identity signatures over their exact bytes; parses both. Dates
  // are not checked here: verify_quote checks them at its time.
  static Result<CheckedCollateral> check(const Collateral& collateral, ByteSpan root = intel_sgx_root_ca());

  Tee tee() const;
  std::array<std::uint8_t, 6> fmspc() const;
  std::int64_t issued() const;  // the TCB info's issue date (Unix seconds)
  // The window in which every part of it is valid, [valid_from,
  // valid_until) in Unix seconds: from the latest issue date or notBefore,
  // to the earliest next update or notAfter.
  std::int64_t valid_from() const;
  std::int64_t valid_until() const;

  struct State;
  const State& state() const { return *state_; }

 private:
  explicit CheckedCollateral(std::shared_ptr<const State> state) : state_(std::move(state)) {}
  std::shared_ptr<const State> state_;
};

// What a verified quote says.
struct Verdict {
  Tee tee = Tee::kSgx;
  TcbStatus status = TcbStatus::kUpToDate;
  std::vector<std::string> advisories;  // Intel security advisory ids, sorted, distinct
  std::array<std::uint8_t, 6> fmspc{};
};

// Verifies `quote` at `unix_s` against `collateral`: the PCK chain to the
// collateral's root with both CRLs, the QE report signature and its binding
// of the attestation key, the quote signature, the QE identity, and the TCB
// level of the platform (and of the TDX module). The verdict's status is
// Intel's; which statuses to accept is the caller's policy. Errors are
// kVerificationFailed with a message that starts with a stable code:
// "collateral_expired: ..." when `unix_s` is past the collateral's window,
// "collateral_not_yet_valid: ..." when before it, "collateral_mismatch: ..."
// when it is for another platform or TEE, "quote_invalid: ..." for
// everything else. CheckedCollateral::check's errors start with
// "collateral_invalid: " or "collateral_mismatch: ".
Result<Verdict> verify_quote(const Quote& quote, const CheckedCollateral& collateral, std::int64_t unix_s);

}  // namespace vigil::dcap
