// A synthetic Intel DCAP world for tests: a root CA of the test's own, a PCK
// CA and PCK certificate with the SGX extension, a TCB signing certificate,
// CRLs, signed TCB info and QE identity, and quotes in the real formats
// (SGX v3, TDX v4) signed by a quoting enclave the QE identity names. What
// the real quotes in ../shared/vectors/dcap cannot be made to show (a
// revoked PCK certificate, another root, a debug TD, any report data) is
// shown with these; vigil::attest verifies them with the test root as its
// anchor. Test code only: no release build contains this root.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "vigil/dcap.h"

namespace vigil::test {

class SyntheticDcap {
 public:
  // Everything valid from a day before `now_unix_s` for 30 days.
  SyntheticDcap(dcap::Tee tee, std::int64_t now_unix_s);
  ~SyntheticDcap();
  SyntheticDcap(SyntheticDcap&&) noexcept;
  SyntheticDcap& operator=(SyntheticDcap&&) noexcept;

  dcap::Tee tee() const;
  Bytes root_der() const;  // the anchor to verify with

  // Knobs for the collateral; collateral() reflects them when called.
  void revoke_pck_certificate();                // listed in the PCK CRL
  void set_tcb_status(dcap::TcbStatus status);  // of the platform's level
  void set_tcb_info_next_update(std::int64_t unix_s);
  void set_qe_status(dcap::TcbStatus status);  // of the QE identity's level
  // An attacker holding a PCK key signs TCB info and QE identity with it.
  void sign_collateral_with_pck_key();
  // TCB info for another platform type than the PCK certificate's.
  void set_collateral_fmspc(const std::array<std::uint8_t, 6>& fmspc);
  dcap::Collateral collateral() const;
  std::string collateral_json() const;

  // A default report (not debug, TDX module version 1) to edit and quote.
  dcap::TdReport td_report() const;
  dcap::EnclaveReport enclave_report() const;
  // A quote of `report` in the real format, signed through the PCK chain.
  Bytes quote(const dcap::TdReport& report) const;
  Bytes quote(const dcap::EnclaveReport& report) const;
  // The same in quote version 5: a TD 1.0 body, or TD 1.5 when the report
  // has its TD 1.5 fields.
  Bytes quote_v5(const dcap::TdReport& report) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::test
