// Intel's signed TCB info (version 3, for SGX and TDX) and QE identity
// (version 2), parsed from the exact JSON text whose signature was checked,
// and the level searches over them (Intel's "TCB Info" and "Enclave
// Identity" specifications of the PCS API v4).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/dcap.h"

namespace vigil::dcap::internal {

// A level of an identity that has only an ISV SVN (the QE, a TDX module).
struct IsvLevel {
  std::uint16_t isv_svn = 0;
  TcbStatus status = TcbStatus::kUpToDate;
  std::vector<std::string> advisories;
};

// A TCB level of the platform: the least SVNs for which `status` holds.
struct TcbLevel {
  std::array<std::uint8_t, 16> sgx_svn{};
  std::uint16_t pce_svn = 0;
  std::array<std::uint8_t, 16> tdx_svn{};  // TDX only
  TcbStatus status = TcbStatus::kUpToDate;
  std::vector<std::string> advisories;
};

// A TDX module version's signer and attributes, and its levels (empty for
// the single `tdxModule` entry of TCB info).
struct TdxModuleIdentity {
  std::string id;  // "TDX_03": the module's major version
  Measurement48 mr_signer{};
  std::uint64_t attributes = 0;
  std::uint64_t attributes_mask = 0;
  std::vector<IsvLevel> levels;
};

struct TcbInfo {
  Tee tee = Tee::kSgx;
  std::int64_t issue_date = 0;
  std::int64_t next_update = 0;
  std::array<std::uint8_t, 6> fmspc{};
  std::array<std::uint8_t, 2> pce_id{};
  std::optional<TdxModuleIdentity> tdx_module;           // TDX only
  std::vector<TdxModuleIdentity> tdx_module_identities;  // TDX, may be empty
  std::vector<TcbLevel> levels;                          // in Intel's order, newest first
};

struct QeIdentity {
  Tee tee = Tee::kSgx;  // "QE" for SGX quotes, "TD_QE" for TDX quotes
  std::int64_t issue_date = 0;
  std::int64_t next_update = 0;
  std::uint32_t misc_select = 0;
  std::uint32_t misc_select_mask = 0;
  std::array<std::uint8_t, 16> attributes{};
  std::array<std::uint8_t, 16> attributes_mask{};
  Measurement32 mr_signer{};
  std::uint16_t isv_prod_id = 0;
  std::vector<IsvLevel> levels;
};

inline constexpr std::size_t kMaxTcbLevels = 256;

// kBadEncoding naming the field ("tcb_info: tcbLevels[2].tcbStatus: ...").
Result<TcbInfo> parse_tcb_info(std::string_view json);
Result<QeIdentity> parse_qe_identity(std::string_view json);

// The first level (Intel lists them newest first) whose ISV SVN the given
// one reaches; none means the identity is older than every level Intel
// knows.
const IsvLevel* isv_level(const std::vector<IsvLevel>& levels, std::uint16_t isv_svn);

}  // namespace vigil::dcap::internal
