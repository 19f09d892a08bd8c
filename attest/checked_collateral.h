// What CheckedCollateral holds once its signatures and chains verified.
#pragma once

#include <string>
#include <vector>

#include "tcb_info.h"
#include "vigil/dcap.h"
#include "x509.h"

namespace vigil::dcap {

struct CheckedCollateral::State {
  internal::X509Ptr root;
  std::vector<internal::X509CrlPtr> crls;  // the root CA's and the PCK CA's
  internal::X509StorePtr store;            // the root and both CRLs
  internal::TcbInfo tcb_info;
  internal::QeIdentity qe_identity;
  // The window in which every part is valid, and which part bounds it.
  std::int64_t valid_from = 0;
  std::int64_t valid_until = 0;
  std::string valid_from_what;
  std::string valid_until_what;
};

}  // namespace vigil::dcap
